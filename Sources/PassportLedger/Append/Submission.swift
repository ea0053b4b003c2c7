import PassportModel

/// An event with its signature, ready to append.
public struct SignedEvent: Sendable, Hashable {
    /// The event.
    public let event: Event
    /// Its signature.
    public let signature: EventSignature

    /// Creates a signed event.
    public init(event: Event, signature: EventSignature) {
        self.event = event
        self.signature = signature
    }

    /// Parses a pre-signed line: `{"event": {...}, "signature": {"key": ..., "sig": ...}}`.
    public init(json: JSONValue) throws(ValidationError) {
        guard case .object(let o) = json else {
            throw ValidationError([Violation(path: "line", rule: "must be an object with event and signature")])
        }
        var violations: [Violation] = []
        for k in o.keys where k != "event" && k != "signature" {
            violations.append(Violation(path: k, rule: "unknown field (a signed line has only event and signature)"))
        }
        var event: Event?
        var signature: EventSignature?
        if let e = o["event"] {
            do { event = try Event(json: e, path: "event.") } catch { violations += error.violations }
        } else {
            violations.append(Violation(code: .required, path: "event", rule: "is required"))
        }
        if let s = o["signature"] {
            do { signature = try EventSignature.parse(s) } catch { violations += error.violations }
        } else {
            violations.append(Violation(code: .required, path: "signature", rule: "is required"))
        }
        if !violations.isEmpty { throw ValidationError(violations) }
        self.init(event: event!, signature: signature!)
    }

    /// The signed line form.
    public var json: JSONValue { ["event": .object(event.json), "signature": signature.json] }
}

/// One input to ``Ledger/append(_:)``: the raw bytes as received (kept in quarantine if rejected),
/// where they came from, and either the parsed signed event or why it could not be parsed.
public struct Submission: Sendable {
    /// The exact input bytes.
    public var raw: [UInt8]
    /// Where it came from, e.g. `events.jsonl:12` or a message position.
    public var origin: String
    /// How the ingest layer reads `raw` again on retry — connector, source, attachments folder,
    /// mapping version… — kept with a quarantined entry as it is: the ledger does not interpret it.
    public var intake: JSONObject
    /// The parsed event, or why parsing failed.
    public var content: Result<SignedEvent, LedgerError>
    /// Attachment bytes supplied with the submission, stored with the record.
    public var blobs: [[UInt8]]
    /// When retrying a quarantined entry, its ID.
    public var quarantineID: UInt64?
    /// Set when `raw` is only a prefix of an input too long to keep: the whole input's length and hash.
    public var truncated: TruncatedInput?
    /// Checks the ledger did ahead of the commit (``Ledger/SubmissionChecker``); module-internal, so
    /// no caller can claim a signature was checked.
    var prechecked: Precheck?

    /// Creates a submission.
    public init(
        raw: [UInt8], origin: String, intake: JSONObject, content: Result<SignedEvent, LedgerError>, blobs: [[UInt8]] = [],
        quarantineID: UInt64? = nil, truncated: TruncatedInput? = nil
    ) {
        self.truncated = truncated
        self.raw = raw
        self.origin = origin
        self.intake = intake
        self.content = content
        self.blobs = blobs
        self.quarantineID = quarantineID
    }
}

/// Where a record sits in the log.
public struct RecordRef: Sendable, Hashable {
    /// Global index.
    public let index: UInt64
    /// Subject.
    public let subject: String
    /// Position in the subject's stream.
    public let seq: UInt64
}

/// What happened to one submission.
public enum AppendOutcome: Sendable, Hashable {
    /// Appended as a new record.
    case appended(RecordRef)
    /// The same event was already in the log: nothing written.
    case duplicate(RecordRef)
    /// Rejected, with the reason; kept in quarantine under the given ID.
    case rejected(LedgerError, quarantineID: UInt64?)

    /// The record, if appended or duplicate.
    public var record: RecordRef? {
        switch self {
        case .appended(let r), .duplicate(let r): r
        case .rejected: nil
        }
    }
}
