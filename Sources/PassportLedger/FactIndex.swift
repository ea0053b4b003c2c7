import Foundation
import LMDB
import PassportModel

/// The passport snapshot: every fact each record states, indexed by subject, field, entry and
/// record index, maintained in the same transaction as the records and rebuildable from them
/// (`dpp reindex`). Queries read small fixed headers and decode only the winning values.
///
/// Key: `subject 0x00 field 0x00 <u16 key length> key <u64 index>`.
/// Value: `<i64 recordedAt µs> <i64 validFrom µs or min> <i64 validUntil µs or max>` then the
/// canonical JSON `{"ref","src","t","v"}`.
enum FactIndex {
    static let version = "1"

    static func prefix(_ subject: String) -> [UInt8] { Array(subject.utf8) + [0] }

    static func key(_ subject: String, _ f: Fact) -> [UInt8] {
        let k = Array((f.key ?? "").utf8)
        return prefix(subject) + Array(f.field.utf8) + [0, UInt8(k.count >> 8), UInt8(k.count & 0xFF)] + k + Keys.u64(f.provenance.index)
    }

    static func value(_ f: Fact) -> [UInt8] {
        var out = i64(f.provenance.recordedAt.microseconds) + i64(f.validFrom?.microseconds ?? .min) + i64(f.validUntil?.microseconds ?? .max)
        let body: JSONValue = ["v": f.value, "src": .string(f.provenance.source), "ref": .string(f.provenance.sourceRef), "t": .string(f.provenance.type)]
        CanonicalJSON.write(body, into: &out)
        return out
    }

    static func i64(_ v: Int64) -> [UInt8] { Keys.u64(UInt64(bitPattern: v)) }

    static func readI64(_ b: UnsafeRawBufferPointer, _ at: Int) -> Int64 {
        Int64(bitPattern: Keys.readU64(UnsafeRawBufferPointer(rebasing: b[at..<(at + 8)])))
    }

    /// Writes the facts of a record.
    static func add(_ record: Record, txn: Transaction, db: Database) throws {
        for f in Fact.of(record) { try txn.put(key(record.subject.rawValue, f), value(f), in: db) }
    }

    /// Projects one subject from the index.
    ///
    /// Entries of one slot (field and entry key) are adjacent and in record order, so the scan
    /// keeps one candidate per slot, and once a slot reaches records newer than `asOf` it jumps
    /// to the next slot.
    static func project(
        _ subject: String, asOf: Timestamp, validAt: Timestamp, txn: Transaction, db: Database, cache: FactValueCache
    ) throws -> [PassportEntry] {
        struct Candidate {
            var slotKey: [UInt8]
            var index: UInt64
            var validFrom: Int64
            var validUntil: Int64
            var recordedAt: Int64
            var value: [UInt8]?
        }
        let p = prefix(subject)
        var best: [Candidate] = []
        let asOfMicros = asOf.microseconds
        let validAtMicros = validAt.microseconds
        var slot: [UInt8] = []
        var slotKeepsExpired = false
        var current: Candidate?
        try txn.withCursor(db) { c in
            var pos: Cursor.Position = .atOrAfter(p)
            while true {
                var jump: [UInt8]?
                let more = try c.move(pos, { k, v -> Bool in
                    guard k.count > p.count + 8, k.starts(with: p) else { return false }
                    let slotBytes = UnsafeRawBufferPointer(rebasing: k[p.count..<(k.count - 8)])
                    if !slotBytes.elementsEqual(slot) {
                        if let cur = current { best.append(cur) }
                        current = nil
                        slot = [UInt8](slotBytes)
                        let field = String(decoding: slot.prefix { $0 != 0 }, as: UTF8.self)
                        slotKeepsExpired = PassportFields.byPath[field]?.keepsExpired ?? false
                    }
                    let recordedAt = readI64(v, 0)
                    if recordedAt > asOfMicros {
                        // Later entries of this slot are newer still: skip to the next slot.
                        jump = Array(k[..<(k.count - 8)]) + [UInt8](repeating: 0xFF, count: 8)
                        return true
                    }
                    let from = readI64(v, 8)
                    guard from <= validAtMicros else { return true }
                    let until = readI64(v, 16)
                    if until <= validAtMicros && !slotKeepsExpired { return true }
                    let index = Keys.readU64(UnsafeRawBufferPointer(rebasing: k[(k.count - 8)...]))
                    if let cur = current, (from, index) < (cur.validFrom, cur.index) { return true }
                    current = Candidate(slotKey: slot, index: index, validFrom: from, validUntil: until, recordedAt: recordedAt, value: nil)
                    return true
                })
                guard more == true else { break }
                if let j = jump { pos = .atOrAfter(j) } else { pos = .next }
            }
        }
        if let cur = current { best.append(cur) }
        // Decode only the winners (cached: a record's facts never change).
        for i in best.indices where cache.value(index: best[i].index, slot: best[i].slotKey) == nil {
            var k = p + best[i].slotKey
            k += Keys.u64(best[i].index)
            best[i].value = try txn.get(k, in: db)
        }
        var facts: [Fact] = []
        for c in best {
            let fact: Fact
            if let cached = cache.value(index: c.index, slot: c.slotKey) {
                fact = cached
            } else {
                guard let bytes = c.value else { throw LedgerError(.notAStore, "the passport index of \(subject) is damaged; rebuild it with dpp reindex") }
                fact = try decode(subject, c.slotKey, c.index, bytes)
                cache.store(fact, index: c.index, slot: c.slotKey)
            }
            facts.append(fact)
        }
        // The index already picked one winner per slot; the projector applies the same rules
        // (and marks expired entries) on that one candidate.
        return Projector.project(facts, asOf: asOf, validAt: validAt)
    }

    static func decode(_ subject: String, _ slotKey: [UInt8], _ index: UInt64, _ bytes: [UInt8]) throws -> Fact {
        let fieldEnd = slotKey.firstIndex(of: 0)!
        let field = String(decoding: slotKey[..<fieldEnd], as: UTF8.self)
        let key = String(decoding: slotKey[(fieldEnd + 3)...], as: UTF8.self)
        guard bytes.count > 24, case .object(let body) = try JSONParser.parse(bytes[24...]),
            let value = body["v"], let source = body["src"]?.stringValue, let ref = body["ref"]?.stringValue, let type = body["t"]?.stringValue
        else { throw LedgerError(.notAStore, "the passport index of \(subject) is damaged; rebuild it with dpp reindex") }
        let (recordedAt, from, until) = bytes.withUnsafeBytes { (readI64($0, 0), readI64($0, 8), readI64($0, 16)) }
        return Fact(
            field: field, key: PassportFields.byPath[field]?.isCollection == true ? key : nil, value: value,
            validFrom: from == .min ? nil : Timestamp(microsecondsSinceEpoch: from),
            validUntil: until == .max ? nil : Timestamp(microsecondsSinceEpoch: until),
            provenance: Provenance(index: index, subject: subject, source: source, sourceRef: ref, type: type,
                recordedAt: Timestamp(microsecondsSinceEpoch: recordedAt)))
    }
}

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
