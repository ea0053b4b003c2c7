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
    static func project(_ subject: String, asOf: Timestamp, validAt: Timestamp, txn: Transaction, db: Database) throws -> [PassportEntry] {
        struct Candidate {
            var slotKey: [UInt8]
            var index: UInt64
            var validFrom: Int64
            var validUntil: Int64
            var value: [UInt8]
        }
        let p = prefix(subject)
        var best: [[UInt8]: Candidate] = [:]
        let asOfMicros = asOf.microseconds
        let validAtMicros = validAt.microseconds
        try txn.withCursor(db) { c in
            var pos: Cursor.Position = .atOrAfter(p)
            while try c.move(pos, { k, v -> Bool in
                guard k.count > p.count + 8, k.starts(with: p) else { return false }
                pos = .next
                let recordedAt = readI64(v, 0)
                let from = readI64(v, 8)
                guard recordedAt <= asOfMicros, from <= validAtMicros else { return true }
                let slot = [UInt8](k[p.count..<(k.count - 8)])
                let index = Keys.readU64(UnsafeRawBufferPointer(rebasing: k[(k.count - 8)...]))
                let until = readI64(v, 16)
                if until <= validAtMicros {
                    let field = String(decoding: slot.prefix { $0 != 0 }, as: UTF8.self)
                    if !(PassportFields.byPath[field]?.keepsExpired ?? false) { return true }
                }
                if let current = best[slot], (from, index) < (current.validFrom, current.index) { return true }
                best[slot] = Candidate(slotKey: slot, index: index, validFrom: from, validUntil: until, value: [UInt8](v))
                return true
            }) == true {}
        }
        var facts: [Fact] = []
        for c in best.values {
            let fieldEnd = c.slotKey.firstIndex(of: 0)!
            let field = String(decoding: c.slotKey[..<fieldEnd], as: UTF8.self)
            let key = String(decoding: c.slotKey[(fieldEnd + 3)...], as: UTF8.self)
            guard case .object(let body) = try JSONParser.parse(c.value[24...]),
                let value = body["v"], let source = body["src"]?.stringValue, let ref = body["ref"]?.stringValue, let type = body["t"]?.stringValue
            else { throw LedgerError(.notAStore, "the passport index of \(subject) is damaged; rebuild it with dpp reindex") }
            let recordedAt = c.value.withUnsafeBytes { readI64($0, 0) }
            facts.append(Fact(
                field: field, key: PassportFields.byPath[field]?.isCollection == true ? key : nil, value: value,
                validFrom: c.validFrom == .min ? nil : Timestamp(microsecondsSinceEpoch: c.validFrom),
                validUntil: c.validUntil == .max ? nil : Timestamp(microsecondsSinceEpoch: c.validUntil),
                provenance: Provenance(index: c.index, subject: subject, source: source, sourceRef: ref, type: type,
                    recordedAt: Timestamp(microsecondsSinceEpoch: recordedAt))))
        }
        // The index already picked one winner per slot; the projector applies the same rules
        // (and marks expired entries) on that one candidate.
        return Projector.project(facts, asOf: asOf, validAt: validAt)
    }
}
