import PassportModel
import Sodium

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
    /// The parsed event, or why parsing failed. Changing it drops the ledger's checks (they were of the old content).
    public var content: Result<SignedEvent, LedgerError> { didSet { prechecked = nil } }
    /// Attachment bytes supplied with the submission, stored with the record. Changing them drops the ledger's checks.
    public var blobs: [[UInt8]] { didSet { prechecked = nil } }
    /// When retrying a quarantined entry, its ID.
    public var quarantineID: UInt64?
    /// Set when `raw` is only a prefix of an input too long to keep: the whole input's length and hash.
    public var truncated: TruncatedInput?
    /// Where this input stands in its source streams (a Kafka partition offset, a row's CDC state),
    /// each written in the same transaction as the submission's outcome, in order, as its
    /// ``SourcePosition/condition`` says; see ``Ledger/sourcePosition(_:)``. Empty for most input.
    public var positions: [SourcePosition] = []
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

/// Attachment bytes with their SHA-256, hashed by the ledger's own code when made: a connector
/// that needs the hash before the event is built (for its `sourceRef` or `attachments` entry)
/// hands the blob over in this form, so the ledger's checks take the hash from here instead of
/// hashing the same bytes again. There is no way to make one with a hash of the caller's choosing.
public struct HashedBlob: Sendable, Hashable {
    /// The bytes.
    public let bytes: [UInt8]
    /// Their SHA-256, lowercase hex.
    public let sha256: String

    /// Hashes `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.sha256 = Hex.encode(SHA256.hash(bytes))
    }
}

/// A position in a source stream, opaque to the ledger: the ingest layer chooses the stream's name
/// (`kafka/<topic>/<partition>`, `debezium/<server>`) and encodes positions so that it can compare them.
public struct SourcePosition: Sendable, Hashable {
    /// When a position is written.
    public enum Condition: Sendable, Hashable {
        /// Whatever the outcome (appended, duplicate, or rejected and kept in quarantine): the
        /// input is consumed, as a Kafka offset is.
        case consumed
        /// Only when the event is in the log (appended or duplicate): per-row state of a change
        /// stream, so that a rejected change is mapped again when it is redelivered.
        case appended
    }

    /// The stream's name (at most 400 bytes).
    public let stream: String
    /// The position, as the ingest layer encodes it.
    public let value: [UInt8]
    /// When it is written.
    public let condition: Condition

    /// Creates a position.
    public init(stream: String, value: [UInt8], when condition: Condition = .consumed) {
        self.stream = stream
        self.value = value
        self.condition = condition
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

    /// The outcome as one result of `dpp append --format json` and `POST /events`:
    /// `{"line", "result": "appended"|"duplicate", "index", "subject", "seq"}` or
    /// `{"line", "result": "rejected", "code", "reasons", "violations", "quarantine"?}`.
    /// - Parameter line: where the input came from (`events.jsonl:3`).
    public func json(line: String) -> JSONObject {
        var j: JSONObject = ["line": .string(line)]
        switch self {
        case .appended(let r), .duplicate(let r):
            if case .duplicate = self { j["result"] = "duplicate" } else { j["result"] = "appended" }
            j["index"] = .number(JSONNumber(Int(r.index)))
            j["subject"] = .string(r.subject)
            j["seq"] = .number(JSONNumber(Int(r.seq)))
        case .rejected(let e, let q):
            j["result"] = "rejected"
            j["code"] = .string(e.code.rawValue)
            j["reasons"] = .array(e.reasons.map { .string($0) })
            j["violations"] = .array(e.violations.map(\.json))
            if let q { j["quarantine"] = .number(JSONNumber(Int(q))) }
        }
        return j
    }

    /// The record, if appended or duplicate.
    public var record: RecordRef? {
        switch self {
        case .appended(let r), .duplicate(let r): r
        case .rejected: nil
        }
    }
}
