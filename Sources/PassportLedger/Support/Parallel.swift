import Foundation

/// Maps `items` on all cores, in chunks of `chunk` items, keeping order.
///
/// Used for the CPU-heavy, order-independent parts of ingest and verification (parsing,
/// hashing, signing, signature checks); everything order-dependent stays sequential.
/// - Complexity: O(n) calls of `transform`, spread over the cores; each result is written once,
///   straight into the returned array.
@inlinable
public func parallelMap<T: Sendable, R: Sendable>(_ items: [T], chunk: Int = 32, _ transform: @Sendable (T) -> R) -> [R] {
    if items.count <= chunk { return items.map(transform) }
    return [R](unsafeUninitializedCapacity: items.count) { buffer, initialized in
        let slots = ParallelSlots(base: buffer.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: (items.count + chunk - 1) / chunk) { c in
            for i in (c * chunk)..<min(items.count, (c + 1) * chunk) {
                (slots.base + i).initialize(to: transform(items[i]))
            }
        }
        initialized = items.count
    }
}

/// The result slots of ``parallelMap(_:chunk:_:)``, shared by its workers.
@usableFromInline
struct ParallelSlots<R>: @unchecked Sendable {
    // @unchecked: each slot is initialized by exactly one worker (the chunks do not overlap), and
    // the array they belong to is handed out only after `concurrentPerform` has returned, that is
    // after every worker has finished.
    @usableFromInline let base: UnsafeMutablePointer<R>

    @usableFromInline init(base: UnsafeMutablePointer<R>) { self.base = base }
}
