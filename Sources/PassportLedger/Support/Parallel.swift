import Foundation

/// Maps `items` on all cores, in chunks of `chunk` items, keeping order.
///
/// Used for the CPU-heavy, order-independent parts of ingest and verification (parsing,
/// hashing, signing, signature checks); everything order-dependent stays sequential.
public func parallelMap<T: Sendable, R: Sendable>(_ items: [T], chunk: Int = 32, _ transform: @Sendable (T) -> R) -> [R] {
    if items.count <= chunk { return items.map(transform) }
    // Each range is written by exactly one worker; the slots are read after all have finished.
    let results = Locked<[R?]>(Array(repeating: nil, count: items.count))
    DispatchQueue.concurrentPerform(iterations: (items.count + chunk - 1) / chunk) { c in
        let range = (c * chunk)..<min(items.count, (c + 1) * chunk)
        let values = range.map { transform(items[$0]) }
        results.withLock { slots in for (i, v) in zip(range, values) { slots[i] = v } }
    }
    return results.withLock { $0.map { $0! } }
}
