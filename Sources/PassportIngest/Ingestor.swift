import Foundation
import PassportAudit
import PassportLedger
import PassportModel
import Sodium

/// Turns JSON Lines input into submissions: parses each line, and for unsigned input normalises
/// timestamps, reads attachment files, and signs the event with the source's key.
public struct Ingestor: Sendable {
    /// How lines are read.
    public enum Mode: Sendable, Hashable {
        /// An unsigned event line; the ledger signs it with the named source's key. Attachment
        /// paths in it are confined to `baseDirectory` (see ``AttachmentFolder``); nil allows none.
        case unsigned(source: String, baseDirectory: String?)
        /// An already-signed line.
        case signed

        /// The mode as a submission's intake (kept with a quarantined entry, read back on retry).
        public var intake: JSONObject {
            switch self {
            case .signed: return ["connector": "jsonl", "signed": true]
            case .unsigned(let source, let base):
                var o: JSONObject = ["connector": "jsonl", "signed": false, "source": .string(source)]
                if let base { o["attachmentsDir"] = .string(base) }
                return o
            }
        }

        /// The mode an intake names, if it is a JSON Lines intake.
        public init?(intake: JSONObject) {
            guard intake["connector"]?.stringValue == "jsonl" else { return nil }
            if intake["signed"] == true {
                self = .signed
            } else if let source = intake["source"]?.stringValue {
                self = .unsigned(source: source, baseDirectory: intake["attachmentsDir"]?.stringValue)
            } else {
                return nil
            }
        }
    }

    /// The ledger (for the source's key and limits).
    public let ledger: Ledger
    /// How lines are read.
    public let mode: Mode
    private let signing: Ledger.SourceSigning?
    private let checker: Ledger.SubmissionChecker

    /// Lines longer than this are refused unparsed (and kept in quarantine): 1 MiB.
    public static let maxLineSize = 1 << 20

    /// Creates an ingestor; for unsigned input this loads the source's active key.
    /// - Throws: ``LedgerError`` if the source has no active key or its key file is missing.
    public init(ledger: Ledger, mode: Mode) throws {
        self.ledger = ledger
        self.mode = mode
        if case .unsigned(let source, _) = mode { signing = try ledger.sourceSigning(source) } else { signing = nil }
        checker = try ledger.submissionChecker()
    }

    /// Splits input into lines and makes one submission per non-blank line, named `name:line`.
    public func submissions(from data: [UInt8], name: String) -> [Submission] {
        let reader = JSONLinesReader(bytes: data)
        // Reading from memory cannot fail.
        let lines = (try? reader.next(count: .max)) ?? []
        return lines.map { submission($0, name: name) }
    }

    /// Makes the submission for one line read by a ``JSONLinesReader``; an oversized line becomes
    /// a `too-large` rejection that keeps only a bounded prefix with the whole line's length and hash.
    public func submission(_ line: JSONLinesReader.Line, name: String) -> Submission {
        let origin = "\(name):\(line.number)"
        guard let oversized = line.oversized else { return submission(line: line.bytes, origin: origin) }
        return Ingestor.oversized(prefix: line.bytes, origin: origin, intake: mode.intake, truncated: oversized)
    }

    /// The `too-large` rejection of an input longer than ``maxLineSize`` (a line, a Kafka message):
    /// quarantine keeps `prefix` (its first bytes) with the whole input's length and SHA-256.
    /// - Parameter noun: what the input is, for the message (`line`, `message`).
    public static func oversized(prefix: [UInt8], origin: String, intake: JSONObject, truncated: TruncatedInput, noun: String = "line") -> Submission {
        Submission(
            raw: prefix, origin: origin, intake: intake,
            content: .failure(LedgerError(
                .tooLarge,
                "the \(noun) is \(truncated.length) bytes; a \(noun) is at most \(Ingestor.maxLineSize) bytes and a record at most \(Record.maxCanonicalSize) — put large content in an attachment (only the \(noun)'s first \(prefix.count) bytes are kept in quarantine, with its length and SHA-256)")),
            truncated: truncated)
    }

    /// Makes the submission of an event a connector mapped from other input: `raw` (the input as
    /// received) is what quarantine keeps, `intake` how to map it again, `event` the unsigned event
    /// this ingestor signs (its mode must be unsigned), or the violations that stopped the mapping;
    /// `positions` are written with the outcome (``Submission/positions``); `hashed` and `blobs`
    /// are attachments the event names by hash, `hashed` those the connector hashed already.
    public func submission(
        mapped: Result<JSONObject, LedgerError>, raw: [UInt8], origin: String, intake: JSONObject, positions: [SourcePosition] = [],
        hashed: [HashedBlob] = [], blobs: [[UInt8]] = [], quarantineID: UInt64? = nil
    ) -> Submission {
        let failure: LedgerError
        switch mapped {
        case .failure(let e): failure = e
        case .success(let event):
            do {
                guard case .unsigned(let source, let base) = mode, let signing else {
                    throw LedgerError(.invalidArgument, "a mapped event is signed by a source: use an unsigned ingestor")
                }
                let (e, files) = try prepareUnsigned(.object(event), source: source, baseDirectory: base)
                return signing.submission(
                    signing: e, raw: raw, origin: origin, intake: intake, hashed: hashed, blobs: blobs + files, quarantineID: quarantineID,
                    positions: positions)
            } catch let e as LedgerError {
                failure = e
            } catch {
                failure = LedgerError(.invalidEvent, "the mapped event could not be made: \(error)", underlying: error)
            }
        }
        var s = Submission(raw: raw, origin: origin, intake: intake, content: .failure(failure), quarantineID: quarantineID)
        s.positions = positions
        return checker.check(s)
    }

    /// Makes a submission from one line.
    public func submission(line: [UInt8], origin: String, quarantineID: UInt64? = nil) -> Submission {
        let content: Result<SignedEvent, LedgerError>
        do {
            // No record can come from a line this large; refuse it before parsing (it is kept).
            // (A JSONLinesReader never hands over such a line whole; this guards direct callers.)
            guard line.count <= Ingestor.maxLineSize else {
                throw LedgerError(
                    .tooLarge, "the line is \(line.count) bytes; a record is at most \(Record.maxCanonicalSize) bytes — put large content in an attachment")
            }
            let json: JSONValue
            do { json = try JSONParser.parse(line) } catch {
                throw LedgerError(.malformedJSON, "not valid JSON: \(error.description)", rule: "JSON text (RFC 8259, I-JSON numbers)", underlying: error)
            }
            switch mode {
            case .signed:
                do { content = .success(try SignedEvent(json: json)) } catch { throw LedgerError.validation(error) }
            case .unsigned(let source, let base):
                let (event, files) = try prepareUnsigned(json, source: source, baseDirectory: base)
                // Signed here, checked in the same step, not verified again.
                return signing!.submission(signing: event, raw: line, origin: origin, intake: mode.intake, blobs: files, quarantineID: quarantineID)
            }
        } catch let e as LedgerError {
            content = .failure(e)
        } catch {
            content = .failure(LedgerError(.invalidEvent, "the line could not be read as an event: \(error)", underlying: error))
        }
        // Signature, data rules and facts are checked here, in the same parallel pass as parsing;
        // the commit re-checks only what depends on order (keys in force, policy, idempotency…).
        return checker.check(Submission(raw: line, origin: origin, intake: mode.intake, content: content, quarantineID: quarantineID))
    }

    /// Normalises an unsigned event: source defaulted, RFC 3339 timestamps in canonical UTC form,
    /// attachments given as `{"path": …}` read, hashed and replaced by their hash.
    func prepareUnsigned(_ json: JSONValue, source: String, baseDirectory: String?) throws -> (Event, [[UInt8]]) {
        guard case .object(var o) = json else {
            throw LedgerError(.invalidEvent, "event: must be a JSON object, not \(json.typeName)")
        }
        var violations: [Violation] = []
        if o["source"] == nil { o["source"] = .string(source) }
        for field in ["createdAt", "validFrom", "validUntil"] {
            guard case .string(let s)? = o[field] else { continue }
            do {
                let canonical = try Timestamp(rfc3339: s).description
                if canonical != s { o[field] = .string(canonical) }
            } catch {
                violations.append(Violation(path: field, rule: error.reason, value: "\"\(s)\""))
            }
        }
        var blobs: [[UInt8]] = []
        // Only attachments given by path change.
        if case .array(let items)? = o["attachments"], items.contains(where: { if case .string? = $0.objectValue?["path"] { true } else { false } }) {
            var out: [JSONValue] = []
            for (i, item) in items.enumerated() {
                guard case .object(let a) = item, case .string(let path)? = a["path"] else {
                    out.append(item)
                    continue
                }
                let at = "attachments[\(i)].path"
                guard let baseDirectory else {
                    violations.append(Violation(path: at, rule: "attachments by path need an attachments folder; this input has none", value: path))
                    continue
                }
                let folder = AttachmentFolder(path: baseDirectory, store: ledger.directory, maxSize: ledger.options.maxAttachmentSize)
                let file: (bytes: [UInt8], name: String)
                switch folder.read(path) {
                case .success(let f): file = f
                case .failure(let e):
                    violations.append(Violation(path: at, rule: e.rule, value: "\"\(path)\""))
                    continue
                }
                blobs.append(file.bytes)
                let name = (path as NSString).lastPathComponent
                var att = JSONObject()
                att["sha256"] = .string(Hex.encode(SHA256.hash(file.bytes)))
                att["mediaType"] = a["mediaType"] ?? .string(MediaTypes.guess(name))
                att["name"] = a["name"] ?? .string(name)
                for (k, v) in a where !["path", "mediaType", "name"].contains(k) { att[k] = v }
                out.append(.object(att))
            }
            o["attachments"] = .array(out)
        }
        if !violations.isEmpty { throw LedgerError(.invalidEvent, violations: violations) }
        do {
            return (try Event(json: .object(o)), blobs)
        } catch {
            throw LedgerError.validation(error)
        }
    }
}
