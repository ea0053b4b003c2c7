import Foundation
import LMDB
import PassportModel
import Sodium

/// A rejected submission, kept with its exact bytes until an operator resolves it.
public struct QuarantineEntry: Sendable, Hashable {
    /// Lifecycle of an entry.
    public enum Status: String, Sendable {
        /// Waiting for a fix and a retry, or a discard.
        case open
        /// A retry appended it (see ``resolvedIndex``).
        case resolved
        /// An operator discarded it, with a reason.
        case discarded
    }

    /// Entry ID (increasing).
    public let id: UInt64
    /// When it was first rejected.
    public let receivedAt: Timestamp
    /// Where it came from (`file:line`).
    public let origin: String
    /// How the ingest layer reads `raw` again (opaque to the ledger; see ``Submission/intake``).
    public let intake: JSONObject
    /// The exact bytes received (for an oversized input, only its first bytes; see ``truncated``).
    public let raw: [UInt8]
    /// For an input too long to keep whole: its full length and SHA-256.
    public let truncated: TruncatedInput?
    /// Code of the latest rejection.
    public var code: String
    /// The violations of the latest rejection (code, JSON Pointer, rule, value, message).
    public var violations: [Violation]
    /// The latest rejection's reasons, one line each (each violation's description).
    public var reasons: [String] { violations.map(\.description) }
    /// Current status.
    public var status: Status
    /// How many times it has been tried.
    public var attempts: Int
    /// When it was last tried or changed.
    public var updatedAt: Timestamp
    /// The record that a successful retry appended.
    public var resolvedIndex: UInt64?
    /// Why it was discarded.
    public var discardReason: String?

    /// The entry as JSON (for `--format json` and storage).
    public var json: JSONValue {
        var o = JSONObject()
        o["id"] = .number(JSONNumber(Int(id)))
        o["receivedAt"] = .string(receivedAt.description)
        o["origin"] = .string(origin)
        o["intake"] = .object(intake)
        if let text = String(validating: raw, as: UTF8.self) {
            o["raw"] = .string(text)
        } else {
            o["rawBase64"] = .string(Base64.encode(raw))
        }
        if let truncated {
            o["rawLength"] = .number(JSONNumber(truncated.length))
            o["rawSha256"] = .string(Hex.encode(truncated.sha256))
        }
        o["code"] = .string(code)
        o["reasons"] = .array(reasons.map { .string($0) })
        o["violations"] = .array(violations.map(\.json))
        o["status"] = .string(status.rawValue)
        o["attempts"] = .number(JSONNumber(attempts))
        o["updatedAt"] = .string(updatedAt.description)
        if let resolvedIndex { o["resolvedIndex"] = .number(JSONNumber(Int(resolvedIndex))) }
        if let discardReason { o["discardReason"] = .string(discardReason) }
        return .object(o)
    }

    init(json: JSONValue) throws {
        guard case .object(let o) = json, let id = o["id"]?.numberValue?.intValue,
            let received = o["receivedAt"]?.stringValue, let origin = o["origin"]?.stringValue,
            let code = o["code"]?.stringValue,
            let reasons = o["reasons"]?.arrayValue, let status = o["status"]?.stringValue.flatMap(Status.init(rawValue:)),
            let attempts = o["attempts"]?.numberValue?.intValue, let updated = o["updatedAt"]?.stringValue
        else { throw LedgerError(.notAStore, "a quarantine entry is damaged") }
        self.id = UInt64(id)
        self.receivedAt = try Timestamp(canonical: received)
        self.origin = origin
        if let intake = o["intake"]?.objectValue {
            self.intake = intake
        } else {
            // Entries written before intakes: JSON Lines input, unsigned with its source and folder, or signed.
            var intake: JSONObject = ["connector": "jsonl", "signed": .bool(o["mode"]?.stringValue == "signed")]
            if let source = o["source"] { intake["source"] = source }
            if let base = o["baseDirectory"] { intake["attachmentsDir"] = base }
            self.intake = intake
        }
        if let r = o["raw"]?.stringValue {
            raw = Array(r.utf8)
        } else {
            raw = o["rawBase64"]?.stringValue.flatMap(Base64.decode) ?? []
        }
        if let length = o["rawLength"]?.numberValue?.intValue, let hash = o["rawSha256"]?.stringValue.flatMap(Hex.decode) {
            truncated = TruncatedInput(length: length, sha256: hash)
        } else {
            truncated = nil
        }
        self.code = code
        // Entries written before violations were kept have reasons only.
        self.violations = o["violations"]?.arrayValue?.compactMap(Violation.init(json:))
            ?? reasons.compactMap(\.stringValue).map { Violation(code: Violation.Code(rawValue: code), path: "", rule: code, message: $0) }
        self.status = status
        self.attempts = attempts
        self.updatedAt = try Timestamp(canonical: updated)
        self.resolvedIndex = o["resolvedIndex"]?.numberValue?.intValue.map(UInt64.init)
        self.discardReason = o["discardReason"]?.stringValue
    }

    init(id: UInt64, submission s: Submission, error: LedgerError, at time: Timestamp) {
        self.id = id
        receivedAt = time
        origin = s.origin
        intake = s.intake
        raw = s.raw
        truncated = s.truncated
        code = error.code.rawValue
        violations = error.violations
        status = .open
        attempts = 1
        updatedAt = time
    }
}

extension Ledger {
    /// Keeps a rejected submission (or updates the entry being retried). Returns its ID.
    func quarantine(_ txn: Transaction, _ s: Submission, error: LedgerError, at time: Timestamp) throws -> UInt64 {
        if let id = s.quarantineID, var entry = try quarantineEntry(txn, id: id) {
            entry.code = error.code.rawValue
            entry.violations = error.violations
            entry.attempts += 1
            entry.updatedAt = time
            try txn.put(Keys.u64(id), CanonicalJSON.encode(entry.json), in: dbs.quarantine)
            return id
        }
        let id = try txn.get(Keys.metaQuarantineNext, in: dbs.meta).map(Keys.readU64) ?? 1
        try txn.put(Keys.metaQuarantineNext, Keys.u64(id + 1), in: dbs.meta)
        let entry = QuarantineEntry(id: id, submission: s, error: error, at: time)
        try txn.put(Keys.u64(id), CanonicalJSON.encode(entry.json), in: dbs.quarantine)
        return id
    }

    func resolveQuarantine(_ txn: Transaction, id: UInt64, index: UInt64, at time: Timestamp) throws {
        guard var entry = try quarantineEntry(txn, id: id) else { return }
        entry.status = .resolved
        entry.resolvedIndex = index
        entry.attempts += 1
        entry.updatedAt = time
        try txn.put(Keys.u64(id), CanonicalJSON.encode(entry.json), in: dbs.quarantine)
    }

    func quarantineEntry(_ txn: Transaction, id: UInt64) throws -> QuarantineEntry? {
        try txn.get(Keys.u64(id), in: dbs.quarantine).map { try QuarantineEntry(json: try JSONParser.parse($0)) }
    }

    /// Quarantine entries, oldest first; by default only open ones.
    public func quarantineEntries(includeClosed: Bool = false) throws -> [QuarantineEntry] {
        try env.read { txn in
            var out: [QuarantineEntry] = []
            try txn.withCursor(dbs.quarantine) { c in
                var pos: Cursor.Position = .first
                while let bytes = try c.move(pos, { _, v in [UInt8](v) }) {
                    let e = try QuarantineEntry(json: try JSONParser.parse(bytes))
                    if includeClosed || e.status == .open { out.append(e) }
                    pos = .next
                }
            }
            return out
        }
    }

    /// One quarantine entry.
    /// - Throws: ``LedgerError`` `not-found` if there is none with that ID.
    public func quarantineEntry(id: UInt64) throws -> QuarantineEntry {
        guard let e = try env.read({ txn in try quarantineEntry(txn, id: id) }) else {
            throw LedgerError(.notFound, "no quarantine entry \(id); list them with dpp quarantine list")
        }
        return e
    }

    /// Discards an open entry. The discard is itself recorded in the log as a `quarantine.discarded`
    /// event (entry ID, reason, SHA-256 of the discarded bytes), signed by the ledger key, so that
    /// an auditor sees what input was dropped and why.
    /// - Returns: the index of the `quarantine.discarded` record.
    @discardableResult
    public func discardQuarantine(id: UInt64, reason: String) throws -> UInt64 {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw LedgerError(.invalidArgument, "a discard needs a reason (--reason TEXT)")
        }
        let entry = try quarantineEntry(id: id)
        guard entry.status == .open else { throw LedgerError(.invalidArgument, "entry \(id) is already \(entry.status.rawValue)") }
        let recorded = try appendSystemEvent(
            type: "quarantine.discarded", sourceRef: "quarantine.discarded/\(id)",
            data: ["entry": .number(JSONNumber(Int(id))), "reason": .string(reason), "sha256": .string(Hex.encode(entry.truncated?.sha256 ?? SHA256.hash(entry.raw))),
                "origin": .string(entry.origin)])
        try writeGrowingMap(what: "the entry was not changed") { txn in
            guard var e = try quarantineEntry(txn, id: id) else {
                throw LedgerError(.notFound, "no quarantine entry \(id); list them with dpp quarantine list")
            }
            guard e.status == .open else { throw LedgerError(.invalidArgument, "entry \(id) is already \(e.status.rawValue)") }
            e.status = .discarded
            e.discardReason = reason
            e.resolvedIndex = recorded
            e.updatedAt = options.clock()
            try txn.put(Keys.u64(id), CanonicalJSON.encode(e.json), in: dbs.quarantine)
        }
        return recorded
    }
}

extension Ledger {
    /// What a correction of a quarantined entry did.
    public enum Correction: Sendable, Hashable {
        /// The corrected input became (or already was) this record; the entry is resolved, and the
        /// correction is recorded in the log as `quarantine.corrected` (at `audit`).
        case resolved(RecordRef, audit: UInt64)
        /// The corrected input was rejected too: it is kept as a new entry; the original stays open.
        case rejected(LedgerError, quarantineID: UInt64?)
    }

    /// Resolves an open entry with a corrected submission (`dpp quarantine fix ID FILE`).
    ///
    /// The corrected input goes through the whole pipeline. If it is appended (or was already in
    /// the log), a `quarantine.corrected` event signed by the ledger key records the entry, the
    /// SHA-256 of its rejected bytes and the record the correction became, and the entry is marked
    /// resolved with that record — so a correction is audited like a discard. If it is rejected,
    /// it is kept in quarantine as a new entry and the original stays open: nothing is lost.
    /// - Throws: ``LedgerError`` if the entry does not exist or is not open.
    public func correctQuarantine(id: UInt64, with corrected: Submission) throws -> Correction {
        let entry = try quarantineEntry(id: id)
        guard entry.status == .open else { throw LedgerError(.invalidArgument, "entry \(id) is already \(entry.status.rawValue)") }
        var submission = corrected
        submission.quarantineID = nil
        let ref: RecordRef
        switch try appendSync([submission])[0] {
        case .appended(let r), .duplicate(let r): ref = r
        case .rejected(let e, let q): return .rejected(e, quarantineID: q)
        }
        let audit = try appendSystemEvent(
            type: "quarantine.corrected", sourceRef: "quarantine.corrected/\(id)",
            data: ["entry": .number(JSONNumber(Int(id))), "sha256": .string(Hex.encode(entry.truncated?.sha256 ?? SHA256.hash(entry.raw))),
                "record": .number(JSONNumber(Int(ref.index))), "origin": .string(entry.origin)])
        try writeGrowingMap(what: "the entry was not changed") { txn in
            guard var e = try quarantineEntry(txn, id: id) else {
                throw LedgerError(.notFound, "no quarantine entry \(id); list them with dpp quarantine list")
            }
            e.status = .resolved
            e.resolvedIndex = ref.index
            e.updatedAt = options.clock()
            try txn.put(Keys.u64(id), CanonicalJSON.encode(e.json), in: dbs.quarantine)
        }
        return .resolved(ref, audit: audit)
    }

}
