/// Where a passport value came from: the record that set it (prove it with that record's inclusion proof).
public struct Provenance: Sendable, Hashable {
    /// The record's global index.
    public let index: UInt64
    /// The subject whose stream holds it (a composed passport draws on several).
    public let subject: String
    /// The source system.
    public let source: String
    /// The source's reference (document, ECN, order…).
    public let sourceRef: String
    /// The event type.
    public let type: String
    /// When the ledger recorded it.
    public let recordedAt: Timestamp

    /// Creates a provenance.
    public init(index: UInt64, subject: String, source: String, sourceRef: String, type: String, recordedAt: Timestamp) {
        self.index = index
        self.subject = subject
        self.source = source
        self.sourceRef = sourceRef
        self.type = type
        self.recordedAt = recordedAt
    }

    /// As JSON.
    public var json: JSONValue {
        ["index": .number(JSONNumber(Int(index))), "subject": .string(subject), "source": .string(source),
            "sourceRef": .string(sourceRef), "type": .string(type), "recordedAt": .string(recordedAt.description)]
    }
}
