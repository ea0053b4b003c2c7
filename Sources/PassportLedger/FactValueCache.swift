import Foundation
import PassportModel

/// Decoded facts by (record index, slot): a record's facts never change, so a decoded value can
/// be reused by every later query. Bounded; cleared whole when full.
final class FactValueCache: @unchecked Sendable {
    // @unchecked: `entries` is only touched under `lock`.
    private struct Key: Hashable {
        let index: UInt64
        let slot: [UInt8]
    }
    private let lock = NSLock()
    private var entries: [Key: Fact] = [:]
    private let capacity: Int

    init(capacity: Int = 8192) { self.capacity = capacity }

    func value(index: UInt64, slot: [UInt8]) -> Fact? {
        lock.withLock { entries[Key(index: index, slot: slot)] }
    }

    func store(_ fact: Fact, index: UInt64, slot: [UInt8]) {
        lock.withLock {
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[Key(index: index, slot: slot)] = fact
        }
    }

    func removeAll() { lock.withLock { entries.removeAll() } }
}
