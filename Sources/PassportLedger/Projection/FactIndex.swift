import Foundation
import LMDB
import PassportModel

/// The passport snapshot: every fact each record states, indexed by subject, field, entry and
/// record index, maintained in the same transaction as the records and rebuildable from them
/// (`dpp reindex`). Queries read small fixed headers and decode only the winning values.
///
/// Key: `subject 0x00 field 0x00 <u16 key length> key <u64 index>`.
/// Value: `<i64 recordedAt µs> <i64 validFrom µs or min> <i64 validUntil µs or max> <u8 kind>
/// <u8 n> source <u8 n> source kind`. The value itself is not copied: a winning fact is read back
/// from its record (and cached), so the index stays small and appends stay fast.
enum FactIndex {
    static let version = "8"  // 5: the trace index is built with it; 7: the trace edges a recall scope reads carry their facts; 8: logistic units

    static func prefix(_ subject: String) -> [UInt8] { Array(subject.utf8) + [0] }

    static func key(_ subject: String, field: String, entry: String?, index: UInt64) -> [UInt8] {
        let k = Array((entry ?? "").utf8)
        return prefix(subject) + Array(field.utf8) + [0, UInt8(k.count >> 8), UInt8(k.count & 0xFF)] + k + Keys.u64(index)
    }

    static func key(_ subject: String, _ f: Fact) -> [UInt8] {
        key(subject, field: f.field, entry: f.key, index: f.provenance.index)
    }

    /// A fact encoded before its record exists: everything but the record index, recordedAt and
    /// the source's kind, so the costly part runs in parallel before the commit.
    struct Prepared: Sendable {
        let field: String
        let key: String?
        let validFrom: Int64
        let validUntil: Int64
        let tag: UInt8
    }

    /// Encodes the facts an event states.
    static func prepare(_ event: Event) -> [Prepared] {
        guard event.subject.kind != .system, let spec = EventCatalog.spec(event.type) else { return [] }
        return spec.assignments(event).map { a in
            Prepared(
                field: a.field, key: a.key, validFrom: (a.validFrom ?? event.validFrom)?.microseconds ?? .min,
                validUntil: event.validUntil?.microseconds ?? .max, tag: a.kind.tag)
        }
    }

    /// Writes the (prepared) facts of a record: the append path prepares them in parallel, reindex
    /// prepares them from the stored record; both write through here.
    static func add(_ facts: [Prepared], of record: Record, sourceKind: String?, txn: Transaction, db: Database) throws {
        for f in facts {
            try txn.put(
                key(record.subject.rawValue, field: f.field, entry: f.key, index: record.index),
                header(record.recordedAt.microseconds, f.validFrom, f.validUntil, f.tag, record.event.source, sourceKind), in: db)
        }
    }

    static func value(_ f: Fact) -> [UInt8] {
        header(f.provenance.recordedAt.microseconds, f.validFrom?.microseconds ?? .min, f.validUntil?.microseconds ?? .max, f.kind.tag,
            f.provenance.source, f.sourceKind)
    }

    static func header(_ recordedAt: Int64, _ validFrom: Int64, _ validUntil: Int64, _ tag: UInt8, _ source: String, _ kind: String?) -> [UInt8] {
        var out = i64(recordedAt) + i64(validFrom) + i64(validUntil)
        out.append(tag)
        for s in [source, kind ?? ""] {
            let b = Array(s.utf8.prefix(255))
            out.append(UInt8(b.count))
            out += b
        }
        return out
    }

    /// The source and source kind stored in a value header (empty if the header is damaged).
    static func header(_ v: UnsafeRawBufferPointer) -> (source: String, kind: String?) {
        guard v.count >= 27 else { return ("", nil) }
        let n1 = Int(v[25])
        guard v.count >= 27 + n1 else { return ("", nil) }
        let source = String(decoding: UnsafeRawBufferPointer(rebasing: v[26..<(26 + n1)]), as: UTF8.self)
        let n2 = Int(v[26 + n1])
        guard v.count >= 27 + n1 + n2 else { return (source, nil) }
        let kind = String(decoding: UnsafeRawBufferPointer(rebasing: v[(27 + n1)..<(27 + n1 + n2)]), as: UTF8.self)
        return (source, kind.isEmpty ? nil : kind)
    }

    static func i64(_ v: Int64) -> [UInt8] { Keys.u64(UInt64(bitPattern: v)) }



    /// Projects one subject from the index.
    ///
    /// Entries of one slot (field and entry key) are adjacent and in record order, so the scan
    /// feeds one ``SlotAccumulator`` per slot, and once a slot reaches records newer than `asOf`
    /// it jumps to the next slot. Only winners are decoded (and cached).
    static func project(
        _ subject: String, asOf: Timestamp, validAt: Timestamp, policy: OwnershipPolicy, txn: Transaction, db: Database, records: Database,
        cache: FactValueCache, nextChange: inout Int64
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
        var rankSlot: [UInt8] = []
        var rankTail: [UInt8] = []
        var lastRank = 0
        try txn.withCursor(db) { c in
            var pos: Cursor.Position = .atOrAfter(p)
            while true {
                var jump: [UInt8]?
                let more = try c.move(pos, { k, v -> Bool in
                    guard k.starts(with: p) else { return false }
                    guard k.count > p.count + 11, v.count >= 27, k[p.count...].contains(0) else {
                        throw LedgerError(.notAStore, "the passport index of \(subject) is damaged; rebuild it with dpp reindex")
                    }
                    let slotBytes = UnsafeRawBufferPointer(rebasing: k[p.count..<(k.count - 8)])
                    if !slotBytes.elementsEqual(slot) {
                        if let w = acc?.winner { winners.append(w) }
                        slot = [UInt8](slotBytes)
                        field = String(decoding: slot.prefix { $0 != 0 }, as: UTF8.self)
                        acc = SlotAccumulator(
                            asOf: asOf.microseconds, validAt: validAt.microseconds, keepsExpired: PassportFields.byPath[field]?.keepsExpired ?? false)
                    }
                    let recordedAt = v.readI64(0)
                    if recordedAt > asOf.microseconds {
                        // Later entries of this slot are newer still: skip to the next slot.
                        jump = Array(k[..<(k.count - 8)]) + [UInt8](repeating: 0xFF, count: 8)
                        return true
                    }
                    let index = Keys.readU64(UnsafeRawBufferPointer(rebasing: k[(k.count - 8)...]))
                    let currentSlot = slot
                    // The first valid time after validAt at which a known fact starts or ends: the
                    // passport for validAt holds unchanged until then (for this system time).
                    let validFrom = v.readI64(8), validUntil = v.readI64(16)
                    if validFrom > validAt.microseconds { nextChange = min(nextChange, validFrom) }
                    if validUntil > validAt.microseconds { nextChange = min(nextChange, validUntil) }
                    acc!.add(
                        index: index, recordedAt: recordedAt, validFrom: validFrom, validUntil: validUntil, kind: v[24],
                        rank: {
                            // Most entries of a slot come from the same source: reuse its rank.
                            let tail = UnsafeRawBufferPointer(rebasing: v[25...])
                            if rankSlot == slot, tail.elementsEqual(rankTail) { return lastRank }
                            let h = header(v)
                            lastRank = policy.rank(of: h.source, kind: h.kind, for: field) ?? Int.max
                            rankTail = [UInt8](tail)
                            rankSlot = slot
                            return lastRank
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
                guard let header = try txn.get(p + w.slotKey + Keys.u64(w.index), in: db),
                    let recordBytes = try txn.get(Keys.u64(w.index), in: records)
                else {
                    throw LedgerError(.notAStore, "the passport index of \(subject) is damaged; rebuild it with dpp reindex")
                }
                fact = try decode(subject, w.slotKey, w.index, header, try Record(bytes: recordBytes))
                cache.store(fact, index: w.index, slot: w.slotKey)
            }
            entries.append(Projector.entry(fact, validAt: validAt))
        }
        return Projector.sorted(entries)
    }

    /// The fact a record states for a slot, with the source kind kept in the index.
    static func decode(_ subject: String, _ slotKey: [UInt8], _ index: UInt64, _ header: [UInt8], _ record: Record) throws -> Fact {
        guard let fieldEnd = slotKey.firstIndex(of: 0), slotKey.count >= fieldEnd + 3 else {
            throw LedgerError(.notAStore, "the passport index of \(subject) is damaged; rebuild it with dpp reindex")
        }
        let field = String(decoding: slotKey[..<fieldEnd], as: UTF8.self)
        let key = String(decoding: slotKey[(fieldEnd + 3)...], as: UTF8.self)
        let kind = header.count > 26 ? header.withUnsafeBytes { FactIndex.header($0).kind } : nil
        guard record.index == index,
            let fact = Fact.of(record, sourceKind: kind).first(where: { $0.field == field && ($0.key ?? "") == key })
        else { throw LedgerError(.notAStore, "the passport index of \(subject) does not match record \(index); rebuild it with dpp reindex") }
        return fact
    }
}

extension UnsafeRawBufferPointer {
    func readI64(_ at: Int) -> Int64 {
        Int64(bitPattern: Keys.readU64(UnsafeRawBufferPointer(rebasing: self[at..<(at + 8)])))
    }
}
