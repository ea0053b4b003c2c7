import PassportLedger
import PassportModel
import Sodium

/// What the EPCIS connector made of one EPCIS event of a document — or of the whole document,
/// when it cannot be read (`Specs/connectors/epcis.md` §2).
public struct EPCISResult: Sendable, CustomStringConvertible {
    /// The outcome.
    public enum Outcome: Sendable {
        /// Unsigned passport events to append (no `source`: the appender adds its own), each
        /// attaching ``EPCISResult/kept`` by hash.
        case events([JSONObject])
        /// Nothing for the passport, and why (`kept: …`); the EPCIS event is still kept.
        case skip(String)
        /// The EPCIS event (or the document) is wrong; every violation names the field.
        case reject([Violation])
    }

    /// The document, as the caller named it (`shipments.jsonld`, `epcis/3@1042`).
    public let input: String
    /// The event's position in its `eventList` (0-based); nil for a result about the whole document.
    public let index: Int?
    /// The EPCIS `eventID`, or the `ni:///sha-256;…` hash that stands for it; nil for the document.
    public let eventID: String?
    /// The EPCIS event kept whole, to store as a blob; nil for a document that cannot be read.
    public let kept: KeptEPCISEvent?
    /// The outcome.
    public let outcome: Outcome

    /// Creates a result.
    public init(input: String, index: Int?, eventID: String?, kept: KeptEPCISEvent?, outcome: Outcome) {
        self.input = input
        self.index = index
        self.eventID = eventID
        self.kept = kept
        self.outcome = outcome
    }

    /// The events, if the outcome is events (else empty).
    public var events: [JSONObject] {
        if case .events(let e) = outcome { return e }
        return []
    }

    /// The violations, if rejected (else empty).
    public var violations: [Violation] {
        if case .reject(let v) = outcome { return v }
        return []
    }

    /// The skip reason, if skipped.
    public var skipReason: String? {
        if case .skip(let r) = outcome { return r }
        return nil
    }

    /// One line: `<input>[<index>] <n> events: <type> <subject>, …`, `… skipped: <reason>` or `… rejected: <violation>; …`.
    public var description: String {
        let at = index.map { "\(input)[\($0)]" } ?? input
        switch outcome {
        case .events(let events):
            let list = events.map { "\($0["type"]?.stringValue ?? "") \($0["subject"]?.stringValue ?? "")" }.joined(separator: ", ")
            return "\(at) \(events.count) event\(events.count == 1 ? "" : "s"): \(list)"
        case .skip(let reason): return "\(at) skipped: \(reason)"
        case .reject(let v): return "\(at) rejected: " + v.map(\.description).joined(separator: "; ")
        }
    }
}

/// One EPCIS event kept whole: its canonical JSON (RFC 8785, with the document's `@context`
/// when the event has none of its own) and the SHA-256 of those bytes.
public struct KeptEPCISEvent: Sendable, Hashable {
    /// The canonical JSON bytes with their SHA-256, to store as a blob.
    public let blob: HashedBlob
    /// The canonical JSON bytes.
    public var bytes: [UInt8] { blob.bytes }
    /// The lowercase hex SHA-256 of ``bytes``.
    public var sha256: String { blob.sha256 }

    /// The media type the mapped events attach it with.
    public static let mediaType = "application/ld+json"
    /// The file name the mapped events attach it with.
    public static let name = "epcis-event.jsonld"

    /// Keeps canonical bytes, hashing them.
    public init(bytes: [UInt8]) { blob = HashedBlob(bytes) }

    /// The `attachments` entry of a mapped event: `{"sha256", "mediaType", "name"}`.
    public var attachment: JSONValue {
        ["sha256": .string(sha256), "mediaType": .string(KeptEPCISEvent.mediaType), "name": .string(KeptEPCISEvent.name)]
    }
}
