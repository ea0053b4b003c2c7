import Foundation
import LMDB
import PassportModel

/// The passport snapshot: every fact each record states, indexed by subject, field, entry and
/// record index, maintained in the same transaction as the records and rebuildable from them
/// (`dpp reindex`). Queries read small fixed headers and decode only the winning values.
///
/// Key: `subject 0x00 field 0x00 <u16 key length> key <u64 index>`.
/// Value: `<i64 recordedAt µs> <i64 validFrom µs or min> <i64 validUntil µs or max> <u8 kind>
/// <u8 n> source <u8 n> source kind`, then the canonical JSON `{"ref","t","v","why"?}`.
enum FactIndex {
    static let version = "2"

    static func prefix(_ subject: String) -> [UInt8] { Array(subject.utf8) + [0] }

    static func key(_ subject: String, _ f: Fact) -> [UInt8] {
        let k = Array((f.key ?? "").utf8)
        return prefix(subject) + Array(f.field.utf8) + [0, UInt8(k.count >> 8), UInt8(k.count & 0xFF)] + k + Keys.u64(f.provenance.index)
    }

    static func value(_ f: Fact) -> [UInt8] {
        var out = i64(f.provenance.recordedAt.microseconds) + i64(f.validFrom?.microseconds ?? .min) + i64(f.validUntil?.microseconds ?? .max)
        out.append(f.kind.tag)
        for s in [f.provenance.source, f.sourceKind ?? ""] {
            let b = Array(s.utf8.prefix(255))
            out.append(UInt8(b.count))
            out += b
        }
        var body: JSONObject = ["v": f.value, "ref": .string(f.provenance.sourceRef), "t": .string(f.provenance.type)]
        if let reason = f.kind.reason { body["why"] = .string(reason) }
        CanonicalJSON.write(.object(body), into: &out)
        return out
    }

    /// The source and source kind stored in a value header, and where the JSON body starts.
    static func header(_ v: UnsafeRawBufferPointer) -> (source: String, kind: String?, body: Int) {
        let n1 = Int(v[25])
        let source = String(decoding: UnsafeRawBufferPointer(rebasing: v[26..<(26 + n1)]), as: UTF8.self)
        let n2 = Int(v[26 + n1])
        let kind = String(decoding: UnsafeRawBufferPointer(rebasing: v[(27 + n1)..<(27 + n1 + n2)]), as: UTF8.self)
        return (source, kind.isEmpty ? nil : kind, 27 + n1 + n2)
    }

    static func i64(_ v: Int64) -> [UInt8] { Keys.u64(UInt64(bitPattern: v)) }

    static func readI64(_ b: UnsafeRawBufferPointer, _ at: Int) -> Int64 { b.readI64(at) }

    /// Writes the facts of a record.
    static func add(_ record: Record, sourceKind: String?, txn: Transaction, db: Database) throws {
        for f in Fact.of(record, sourceKind: sourceKind) { try txn.put(key(record.subject.rawValue, f), value(f), in: db) }
    }

    /// Projects one subject from the index.
    ///
    /// Entries of one slot (field and entry key) are adjacent and in record order, so the scan
    /// feeds one ``SlotAccumulator`` per slot, and once a slot reaches records newer than `asOf`
    /// it jumps to the next slot. Only winners are decoded (and cached).
    static func project(
        _ subject: String, asOf: Timestamp, validAt: Timestamp, policy: OwnershipPolicy, txn: Transaction, db: Database, cache: FactValueCache
    ) throws -> [PassportEntry] {
        struct Winner {
            let slotKey: [UInt8]
            let index: UInt64
        }
        let p = prefix(subject)
        var winners: [Winner] = []
        var slot: [UInt8] = []
        var field = ""
        var acc: SlotAccumulator<Winner>?
        try txn.withCursor(db) { c in
            var pos: Cursor.Position = .atOrAfter(p)
            while true {
                var jump: [UInt8]?
                let more = try c.move(pos, { k, v -> Bool in
                    guard k.count > p.count + 8, k.starts(with: p) else { return false }
                    let slotBytes = UnsafeRawBufferPointer(rebasing: k[p.count..<(k.count - 8)])
                    if !slotBytes.elementsEqual(slot) {
                        if let w = acc?.winner { winners.append(w) }
                        slot = [UInt8](slotBytes)
                        field = String(decoding: slot.prefix { $0 != 0 }, as: UTF8.self)
                        acc = SlotAccumulator(
                            asOf: asOf.microseconds, validAt: validAt.microseconds, keepsExpired: PassportFields.byPath[field]?.keepsExpired ?? false)
                    }
                    let recordedAt = readI64(v, 0)
                    if recordedAt > asOf.microseconds {
                        // Later entries of this slot are newer still: skip to the next slot.
                        jump = Array(k[..<(k.count - 8)]) + [UInt8](repeating: 0xFF, count: 8)
                        return true
                    }
                    let index = Keys.readU64(UnsafeRawBufferPointer(rebasing: k[(k.count - 8)...]))
                    let currentSlot = slot
                    acc!.add(
                        index: index, recordedAt: recordedAt, validFrom: readI64(v, 8), validUntil: readI64(v, 16), kind: v[24],
                        rank: {
                            let h = header(v)
                            return policy.rank(of: h.source, kind: h.kind, for: field) ?? Int.max
                        },
                        payload: { Winner(slotKey: currentSlot, index: index) })
                    return true
                })
                guard more == true else { break }
                if let j = jump { pos = .atOrAfter(j) } else { pos = .next }
            }
        }
        if let w = acc?.winner { winners.append(w) }
        var entries: [PassportEntry] = []
        for w in winners {
            let fact: Fact
            if let cached = cache.value(index: w.index, slot: w.slotKey) {
                fact = cached
            } else {
                guard let bytes = try txn.get(p + w.slotKey + Keys.u64(w.index), in: db) else {
                    throw LedgerError(.notAStore, "the passport index of \(subject) is damaged; rebuild it with dpp reindex")
                }
                fact = try decode(subject, w.slotKey, w.index, bytes)
                cache.store(fact, index: w.index, slot: w.slotKey)
            }
            entries.append(Projector.entry(fact, validAt: validAt))
        }
        return entries.sorted(by: Projector.order)
    }

    static func decode(_ subject: String, _ slotKey: [UInt8], _ index: UInt64, _ bytes: [UInt8]) throws -> Fact {
        let fieldEnd = slotKey.firstIndex(of: 0)!
        let field = String(decoding: slotKey[..<fieldEnd], as: UTF8.self)
        let key = String(decoding: slotKey[(fieldEnd + 3)...], as: UTF8.self)
        guard bytes.count > 27 else { throw LedgerError(.notAStore, "the passport index of \(subject) is damaged; rebuild it with dpp reindex") }
        let (recordedAt, from, until, tag, h) = bytes.withUnsafeBytes { ($0.readI64(0), $0.readI64(8), $0.readI64(16), $0[24], header($0)) }
        guard case .object(let body) = try JSONParser.parse(bytes[h.body...]),
            let value = body["v"], let ref = body["ref"]?.stringValue, let type = body["t"]?.stringValue
        else { throw LedgerError(.notAStore, "the passport index of \(subject) is damaged; rebuild it with dpp reindex") }
        return Fact(
            field: field, key: PassportFields.byPath[field]?.isCollection == true ? key : nil, value: value,
            validFrom: from == .min ? nil : Timestamp(microsecondsSinceEpoch: from),
            validUntil: until == .max ? nil : Timestamp(microsecondsSinceEpoch: until),
            provenance: Provenance(index: index, subject: subject, source: h.source, sourceRef: ref, type: type,
                recordedAt: Timestamp(microsecondsSinceEpoch: recordedAt)),
            kind: FactKind(tag: tag, reason: body["why"]?.stringValue), sourceKind: h.kind)
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

extension UnsafeRawBufferPointer {
    func readI64(_ at: Int) -> Int64 {
        Int64(bitPattern: Keys.readU64(UnsafeRawBufferPointer(rebasing: self[at..<(at + 8)])))
    }
}
