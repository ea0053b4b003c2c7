/// A fact a record states about a passport field, with its valid-time interval.
public struct Fact: Sendable, Hashable {
    /// Field path.
    public let field: String
    /// Entry key, for collection fields.
    public let key: String?
    /// The value.
    public let value: JSONValue
    /// Valid from (nil: since ever).
    public let validFrom: Timestamp?
    /// Valid until, exclusive (nil: until superseded).
    public let validUntil: Timestamp?
    /// The record that states it.
    public let provenance: Provenance
    /// A value, an override or a withdrawal.
    public let kind: FactKind
    /// The kind of the source system that wrote it (from its key), for ownership precedence.
    public let sourceKind: String?

    /// Creates a fact.
    public init(
        field: String, key: String?, value: JSONValue, validFrom: Timestamp?, validUntil: Timestamp?, provenance: Provenance,
        kind: FactKind = .value, sourceKind: String? = nil
    ) {
        self.field = field
        self.key = key
        self.value = value
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.provenance = provenance
        self.kind = kind
        self.sourceKind = sourceKind
    }

    /// The facts a record states (none for `system` events and unknown types).
    /// - Parameter sourceKind: the kind of the source that signed it (for precedence).
    public static func of(_ record: Record, sourceKind: String? = nil) -> [Fact] {
        guard record.subject.kind != .system, let spec = EventCatalog.spec(record.event.type) else { return [] }
        let e = record.event
        let p = Provenance(
            index: record.index, subject: record.subject.rawValue, source: e.source, sourceRef: e.sourceRef, type: e.type,
            recordedAt: record.recordedAt)
        return spec.assignments(e).map {
            Fact(field: $0.field, key: $0.key, value: $0.value, validFrom: $0.validFrom ?? e.validFrom, validUntil: e.validUntil, provenance: p,
                kind: $0.kind, sourceKind: sourceKind)
        }
    }
}
