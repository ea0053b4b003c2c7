import Foundation
import LMDB
import PassportAudit
import PassportModel

/// The named LMDB databases of a store (DESIGN §7).
struct Databases: Sendable {
    let records: Database
    let subjects: Database
    let nodes: Database
    let checkpoints: Database
    let idempotency: Database
    let blobs: Database
    let keys: Database
    let quarantine: Database
    let meta: Database
    /// Derived: the passport fact index (see ``FactIndex``).
    let facts: Database
    /// Derived from `system`: every ownership policy, by the index of its `policy.updated` record.
    let policies: Database

    static let names = ["records", "subjects", "nodes", "checkpoints", "idempotency", "blobs", "keys", "quarantine", "meta", "facts", "policies"]

    init(_ txn: Transaction, create: Bool) throws {
        records = try txn.openDatabase("records", create: create)
        subjects = try txn.openDatabase("subjects", create: create)
        nodes = try txn.openDatabase("nodes", create: create)
        checkpoints = try txn.openDatabase("checkpoints", create: create)
        idempotency = try txn.openDatabase("idempotency", create: create)
        blobs = try txn.openDatabase("blobs", create: create)
        keys = try txn.openDatabase("keys", create: create)
        quarantine = try txn.openDatabase("quarantine", create: create)
        meta = try txn.openDatabase("meta", create: create)
        facts = try txn.openDatabase("facts", create: create)
        policies = try txn.openDatabase("policies", create: create)
    }
}

/// Key encodings.
enum Keys {
    static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    /// Reads an 8-byte big-endian integer; a value of any other length (a damaged store) reads as
    /// `UInt64.max`, which names no record, so the caller reports it instead of crashing.
    static func readU64(_ b: UnsafeRawBufferPointer) -> UInt64 {
        guard b.count == 8 else { return .max }
        var v: UInt64 = 0
        for byte in b { v = v << 8 | UInt64(byte) }
        return v
    }

    static func readU64(_ b: [UInt8]) -> UInt64 { b.withUnsafeBytes { readU64($0) } }

    static func subject(_ s: String, _ seq: UInt64) -> [UInt8] { Array(s.utf8) + [0] + u64(seq) }

    static func idempotency(_ source: String, _ sourceRef: String) -> [UInt8] {
        Array(source.utf8) + [0] + Array(sourceRef.utf8)
    }

    static func node(level: Int, index: UInt64) -> [UInt8] { [UInt8(level)] + u64(index) }

    static let metaFormat = Array("format".utf8)
    static let metaOrigin = Array("origin".utf8)
    static let metaVKey = Array("vkey".utf8)
    static let metaSize = Array("size".utf8)
    static let metaLastRecordedAt = Array("lastRecordedAt".utf8)
    static let metaQuarantineNext = Array("quarantineNext".utf8)
    static let metaFactsVersion = Array("factsVersion".utf8)
}

/// Reads Merkle nodes from the `nodes` database inside a transaction.
struct StoredNodes: MerkleNodeSource {
    let txn: Transaction
    let db: Database

    func subtreeHash(level: Int, index: UInt64) throws -> [UInt8] {
        guard let h = try txn.get(Keys.node(level: level, index: index), in: db), h.count == 32 else {
            throw LedgerError(.notAStore, "the Merkle node at level \(level), index \(index) is missing or damaged; run dpp verify")
        }
        return h
    }
}

/// What a source key may write (`key.registered` / `key.permissions-changed`).
public struct Permissions: Sendable, Hashable, CustomStringConvertible {
    /// Event types, or `*`.
    public var eventTypes: [String]
    /// Field patterns (`path`, `section.*`, `*`).
    public var fields: [String]
    /// May write `field.overridden` / `field.override-withdrawn` for fields it does not own.
    public var override: Bool
    /// Subject patterns the key may write: a subject (`supplier/ACME`), a prefix ending in `*`
    /// (`01/09506000134352*`: the model, its batches and items), or `*` (any subject).
    public var subjects: [String]

    /// Everything but overrides (the default for a new source key).
    public static let all = Permissions(eventTypes: ["*"], fields: ["*"], override: false)

    /// Creates permissions.
    public init(eventTypes: [String], fields: [String], override: Bool, subjects: [String] = ["*"]) {
        self.eventTypes = eventTypes
        self.fields = fields
        self.override = override
        self.subjects = subjects
    }

    /// Whether the key may write events of a type.
    public func allows(type: String) -> Bool { eventTypes.contains("*") || eventTypes.contains(type) }

    /// Whether the key may write a field.
    public func allows(field: String) -> Bool {
        fields.contains { p in
            p == "*" || p == field || (p.hasSuffix(".*") && field.hasPrefix(p.dropLast(1)))
        }
    }

    /// Whether the key may write events about a subject.
    public func allows(subject: Subject) -> Bool {
        subjects.contains { p in
            p == subject.rawValue || (p.hasSuffix("*") && subject.rawValue.hasPrefix(p.dropLast(1)))
        }
    }

    /// Whether `p` is a subject pattern: `*`, a canonical subject other than `system`, or a
    /// non-empty prefix of at most ``Subject/maxBytes`` bytes followed by `*` (no other `*`, no
    /// white space or control characters).
    public static func isValidSubjectPattern(_ p: String) -> Bool {
        if p == "*" { return true }
        if p.hasSuffix("*") {
            let prefix = p.dropLast()
            return !prefix.isEmpty && prefix.utf8.count <= Subject.maxBytes
                && prefix.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "*") }
        }
        guard let s = try? Subject(p) else { return false }
        return s.kind != .system
    }

    /// As JSON.
    public var json: JSONValue {
        ["eventTypes": .array(eventTypes.map { .string($0) }), "fields": .array(fields.map { .string($0) }), "override": .bool(override),
            "subjects": .array(subjects.map { .string($0) })]
    }

    /// Parses and checks `{"eventTypes": […], "fields": […], "override": bool, "subjects": […]}`;
    /// a list left out means `*` (so keys registered before `subjects` existed may write any subject).
    public init(json: JSONValue, path: String = "data.permissions") throws(ValidationError) {
        var v: [Violation] = []
        guard case .object(let o) = json else { throw ValidationError([Violation(path: path, rule: "must be an object")]) }
        for k in o.keys where !["eventTypes", "fields", "override", "subjects"].contains(k) {
            v.append(Violation(path: "\(path).\(k)", rule: "unknown field (allowed: eventTypes, fields, override, subjects)"))
        }
        func strings(_ k: String, valid: (String) -> Bool, rule: String) -> [String] {
            guard let a = o[k] else { return ["*"] }
            guard case .array(let items) = a, !items.isEmpty, items.allSatisfy({ $0.stringValue.map(valid) ?? false }) else {
                v.append(Violation(path: "\(path).\(k)", rule: rule, value: Violation.show(a)))
                return []
            }
            return items.compactMap(\.stringValue)
        }
        let types = strings("eventTypes", valid: { $0 == "*" || EventCatalog.spec($0) != nil }, rule: "must be a non-empty array of known event types or *")
        let fields = strings("fields", valid: { OwnershipPolicy.isValidPattern($0) }, rule: "must be a non-empty array of field paths, section.* or *")
        let subjects = strings(
            "subjects", valid: Permissions.isValidSubjectPattern,
            rule: "must be a non-empty array of subjects in canonical form (not system), subject prefixes ending in *, or *")
        var override = false
        if let ov = o["override"] {
            if case .bool(let b) = ov { override = b } else { v.append(Violation(path: "\(path).override", rule: "must be true or false")) }
        }
        if !v.isEmpty { throw ValidationError(v) }
        self.init(eventTypes: types, fields: fields, override: override, subjects: subjects)
    }

    public var description: String {
        "event types \(eventTypes.joined(separator: ", ")); fields \(fields.joined(separator: ", "))"
            + (subjects == ["*"] ? "" : "; subjects \(subjects.joined(separator: ", "))") + (override ? "; may override" : "")
    }
}

/// A registered key, as the `keys` database stores it (derived from `system` records).
struct KeyEntry: Sendable {
    var vkey: NoteVerifierKey
    var role: String  // "ledger" or "source"
    var registeredIndex: UInt64
    var revokedIndex: UInt64?
    var validFrom: Timestamp?
    var validUntil: Timestamp?
    /// The source system's kind (policy owners may name kinds).
    var kind: String?
    var permissions: Permissions

    var json: JSONValue {
        var o = JSONObject()
        o["vkey"] = .string(vkey.description)
        o["role"] = .string(role)
        o["registeredIndex"] = .number(JSONNumber(Int(registeredIndex)))
        if let revokedIndex { o["revokedIndex"] = .number(JSONNumber(Int(revokedIndex))) }
        if let validFrom { o["validFrom"] = .string(validFrom.description) }
        if let validUntil { o["validUntil"] = .string(validUntil.description) }
        if let kind { o["kind"] = .string(kind) }
        o["permissions"] = permissions.json
        return .object(o)
    }

    init(
        vkey: NoteVerifierKey, role: String, registeredIndex: UInt64, validFrom: Timestamp?, validUntil: Timestamp?, kind: String? = nil,
        permissions: Permissions = .all
    ) {
        self.vkey = vkey
        self.role = role
        self.registeredIndex = registeredIndex
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.kind = kind
        self.permissions = permissions
    }

    init(bytes: [UInt8]) throws {
        guard case .object(let o) = try JSONParser.parse(bytes), let v = o["vkey"]?.stringValue,
            let role = o["role"]?.stringValue, let reg = o["registeredIndex"]?.numberValue?.intValue
        else { throw LedgerError(.notAStore, "a key entry is damaged; run dpp verify") }
        vkey = try NoteVerifierKey(parsing: v)
        self.role = role
        registeredIndex = UInt64(reg)
        revokedIndex = o["revokedIndex"]?.numberValue?.intValue.map(UInt64.init)
        validFrom = try o["validFrom"]?.stringValue.map { try Timestamp(canonical: $0) }
        validUntil = try o["validUntil"]?.stringValue.map { try Timestamp(canonical: $0) }
        kind = o["kind"]?.stringValue
        permissions = try o["permissions"].map { try Permissions(json: $0) } ?? .all
    }
}
