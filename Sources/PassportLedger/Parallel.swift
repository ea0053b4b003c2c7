import Foundation

/// Maps `items` on all cores, in chunks of `chunk` items, keeping order.
///
/// Used for the CPU-heavy, order-independent parts of ingest and verification (parsing,
/// hashing, signing, signature checks); everything order-dependent stays sequential.
public func parallelMap<T: Sendable, R: Sendable>(_ items: [T], chunk: Int = 32, _ transform: @Sendable (T) -> R) -> [R] {
    if items.count <= chunk { return items.map(transform) }
    let results = ResultSlots<R>(count: items.count)
    DispatchQueue.concurrentPerform(iterations: (items.count + chunk - 1) / chunk) { c in
        let range = (c * chunk)..<min(items.count, (c + 1) * chunk)
        results.set(range.lowerBound, range.map { transform(items[$0]) })
    }
    return results.values
}

/// Result slots filled by parallel workers.
private final class ResultSlots<R>: @unchecked Sendable {
    // @unchecked: every write is under `lock`; each range is written by exactly one worker, and
    // the slots are read only after all workers have finished.
    private var storage: [R?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ start: Int, _ values: [R]) {
        lock.withLock { for (i, v) in values.enumerated() { storage[start + i] = v } }
    }
    var values: [R] { lock.withLock { storage.map { $0! } } }
}
