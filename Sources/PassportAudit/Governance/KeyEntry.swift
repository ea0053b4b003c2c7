import PassportModel

/// A registered key and what it may do, as the `system` subject's events establish it (the ledger
/// keeps these in its `keys` table; an auditor rebuilds them by replaying the `system` records).
public struct KeyEntry: Sendable {
    /// The key.
    public var vkey: NoteVerifierKey
    /// `ledger` or `source`.
    public var role: String
    /// The index of the `key.registered` record.
    public var registeredIndex: UInt64
    /// The index of the `key.revoked` record, if revoked.
    public var revokedIndex: UInt64?
    /// Start of the key's validity, if limited.
    public var validFrom: Timestamp?
    /// End of the key's validity, if limited.
    public var validUntil: Timestamp?
    /// The source system's kind (policy owners may name kinds).
    public var kind: String?
    /// What the key may write.
    public var permissions: Permissions

    /// The entry as stored.
    public var json: JSONValue {
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

    /// Creates an entry.
    public init(
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

    /// Reads an entry back from its stored JSON.
    /// - Throws: ``AuditError`` `bad-key` if the entry is damaged.
    public init(bytes: [UInt8]) throws {
        guard case .object(let o) = try JSONParser.parse(bytes), let v = o["vkey"]?.stringValue,
            let role = o["role"]?.stringValue, let reg = o["registeredIndex"]?.numberValue?.intValue
        else { throw AuditError(.badKey, "a key entry is damaged; run dpp verify") }
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
