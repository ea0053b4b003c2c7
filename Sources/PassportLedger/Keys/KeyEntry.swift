import PassportAudit
import PassportModel

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
