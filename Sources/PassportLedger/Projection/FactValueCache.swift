import PassportModel

/// Decoded facts by (record index, slot): a record's facts never change, so a decoded value can
/// be reused by every later query. Bounded; cleared whole when full.
final class FactValueCache: Sendable {
    private struct Key: Hashable {
        let index: UInt64
        let slot: [UInt8]
    }
    private let entries = Locked<[Key: Fact]>([:])
    private let capacity: Int

    init(capacity: Int = 8192) { self.capacity = capacity }

    func value(index: UInt64, slot: [UInt8]) -> Fact? {
        entries.withLock { $0[Key(index: index, slot: slot)] }
    }

    func store(_ fact: Fact, index: UInt64, slot: [UInt8]) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[Key(index: index, slot: slot)] = fact
        }
    }

    func removeAll() { entries.withLock { $0.removeAll() } }
}
