import Foundation

/// A value that is only reachable under its lock (as GRDB's and the standard library's `Mutex`).
///
/// ``withLock(_:)`` is all most users need. The lock is also a condition variable, for the few
/// that wait for the value to change (the group-commit writer, a pending append):
/// ``withLock(waitingUntil:_:)`` waits until a predicate holds, and ``withLockWakingWaiters(_:)``
/// wakes those waiting once its change is made.
package final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is read and written only inside the methods below, each of which holds
    // `condition` (a mutex) for as long as `body` runs, and no reference to it escapes. As with the
    // standard library's `Mutex`, that makes the box Sendable whatever `Value` is.
    private let condition = NSCondition()
    private var value: Value

    /// Wraps an initial value.
    package init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    package func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        return try body(&value)
    }

    /// Runs `body` with exclusive access to the value, then wakes every thread waiting in
    /// ``withLock(waitingUntil:_:)`` so that it checks its predicate again.
    package func withLockWakingWaiters<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body(&value)
    }

    /// Waits until `ready` holds for the value (as changed by ``withLockWakingWaiters(_:)``), then
    /// runs `body` with exclusive access to it, without releasing the lock in between.
    package func withLock<R>(waitingUntil ready: (Value) -> Bool, _ body: (inout Value) throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        while !ready(value) { condition.wait() }
        return try body(&value)
    }
}
