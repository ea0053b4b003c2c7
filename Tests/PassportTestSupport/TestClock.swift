import Foundation
import PassportLedger
import PassportModel

/// A clock that moves only when a test advances it, so tests separate system times without sleeping.
/// Pass ``now()`` as ``Ledger/Options/clock``.
public final class TestClock: @unchecked Sendable {
    // @unchecked: `current` is read and written only under `lock`.
    private let lock = NSLock()
    private var current: Timestamp

    /// Starts the clock at `start` (by default the system time when the test began, so that key
    /// validity and other real-time rules behave as they would).
    public init(start: Timestamp = .now()) { current = start }

    /// The time the clock shows.
    public func now() -> Timestamp { lock.withLock { current } }

    /// Moves the clock forward (by one millisecond unless told) and returns the new time.
    @discardableResult
    public func advance(microseconds: Int64 = 1000) -> Timestamp {
        lock.withLock {
            current = Timestamp(microsecondsSinceEpoch: current.microseconds + microseconds)
            return current
        }
    }

    /// Ledger options that read this clock.
    public var options: Ledger.Options {
        var o = Ledger.Options()
        o.clock = now
        return o
    }
}
