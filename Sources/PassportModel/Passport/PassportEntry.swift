/// One value of a projected passport.
public struct PassportEntry: Sendable, Hashable {
    /// Field path.
    public let field: String
    /// Entry key for collections.
    public let key: String?
    /// The value (collections that keep expired entries carry `"status"`).
    public let value: JSONValue
    /// The record that set it.
    public let provenance: Provenance
    /// If the value is an override, its reason.
    public let overrideReason: String?

    /// Creates an entry.
    public init(field: String, key: String?, value: JSONValue, provenance: Provenance, overrideReason: String? = nil) {
        self.field = field
        self.key = key
        self.value = value
        self.provenance = provenance
        self.overrideReason = overrideReason
    }

    /// Provenance as JSON, with the override and its reason when the value is one.
    public var provenanceJSON: JSONValue {
        guard let overrideReason, case .object(var o) = provenance.json else { return provenance.json }
        o["override"] = ["reason": .string(overrideReason)]
        return .object(o)
    }

    /// `field` or `field[key]`: how `--prove` and diffs name the entry.
    public var path: String { key.map { "\(field)[\($0)]" } ?? field }
}
