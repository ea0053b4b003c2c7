import Foundation
import PassportAudit
import PassportModel
import Sodium

/// Turns JSON Lines input into submissions: parses each line, and for unsigned input normalises
/// timestamps, reads attachment files, and signs the event with the source's key.
public struct Ingestor: Sendable {
    /// The ledger (for the source's key and limits).
    public let ledger: Ledger
    /// How lines are read.
    public let mode: Submission.Mode
    private let signer: NoteSigner?
    private let keys: [String: NoteVerifierKey]

    /// Lines longer than this are refused unparsed (and kept in quarantine): 1 MiB.
    public static let maxLineSize = 1 << 20

    /// Creates an ingestor; for unsigned input this loads the source's active key.
    /// - Throws: ``LedgerError`` if the source has no active key or its key file is missing.
    public init(ledger: Ledger, mode: Submission.Mode) throws {
        self.ledger = ledger
        self.mode = mode
        if case .unsigned(let source, _) = mode { signer = try ledger.sourceSigner(source) } else { signer = nil }
        keys = Dictionary(uniqueKeysWithValues: try ledger.keys().map { ($0.reference, $0.vkey) })
    }

    /// Splits input into lines and makes one submission per non-blank line, named `name:line`.
    public func submissions(from data: [UInt8], name: String) -> [Submission] {
        var out: [Submission] = []
        var lineNo = 0
        var start = 0
        func emit(_ end: Int) {
            lineNo += 1
            if let line = Ingestor.line(data[start..<end]) { out.append(submission(line: line, origin: "\(name):\(lineNo)")) }
        }
        for (i, b) in data.enumerated() where b == 0x0A {
            emit(i)
            start = i + 1
        }
        if start < data.count { emit(data.count) }
        return out
    }

    /// One JSON Lines line without its line ending, or nil if it is blank (blank lines are skipped,
    /// but still counted for line numbers).
    public static func line(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var line = Array(bytes)
        if line.last == 0x0D { line.removeLast() }
        return line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) ? nil : line
    }

    /// Makes a submission from one line.
    public func submission(line: [UInt8], origin: String, quarantineID: UInt64? = nil) -> Submission {
        var blobs: [[UInt8]] = []
        let content: Result<SignedEvent, LedgerError>
        do {
            // No record can come from a line this large; refuse it before parsing (it is kept).
            guard line.count <= Ingestor.maxLineSize else {
                throw LedgerError(
                    .tooLarge, "the line is \(line.count) bytes; a record is at most \(Record.maxCanonicalSize) bytes — put large content in an attachment")
            }
            let json: JSONValue
            do { json = try JSONParser.parse(line) } catch {
                throw LedgerError(.malformedJSON, "not valid JSON: \(error.description)")
            }
            switch mode {
            case .signed:
                do { content = .success(try SignedEvent(json: json)) } catch { throw LedgerError.validation(error) }
            case .unsigned(let source, let base):
                let (event, files) = try prepareUnsigned(json, source: source, baseDirectory: base)
                blobs = files
                let sig = signer!.key.sign(event.signatureInput)
                content = .success(SignedEvent(event: event, signature: EventSignature(key: signer!.verifier.reference, sig: sig)))
            }
        } catch let e as LedgerError {
            content = .failure(e)
        } catch {
            content = .failure(LedgerError(.invalidEvent, "\(error)"))
        }
        var s = Submission(raw: line, origin: origin, mode: mode, content: content, blobs: blobs, quarantineID: quarantineID)
        // Signature, data rules and facts are checked here, in the same parallel pass as parsing;
        // the commit re-checks only what depends on order (keys in force, policy, idempotency…).
        s.prechecked = Ledger.precheck(s, keys: keys, governance: ledger.options.governance)
        return s
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
            do { o[field] = .string(try Timestamp(rfc3339: s).description) } catch {
                violations.append(Violation(path: field, rule: error.reason, value: "\"\(s)\""))
            }
        }
        var blobs: [[UInt8]] = []
        if case .array(let items)? = o["attachments"] {
            var out: [JSONValue] = []
            for (i, item) in items.enumerated() {
                guard case .object(let a) = item, case .string(let path)? = a["path"] else {
                    out.append(item)
                    continue
                }
                let url = URL(fileURLWithPath: path, relativeTo: baseDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) })
                guard let attrs = try? FileManager.default.attributesOfItem(atPath: url.path),
                    let size = attrs[.size] as? Int
                else {
                    violations.append(Violation(path: "attachments[\(i)].path", rule: "file not found or not readable", value: url.path))
                    continue
                }
                guard size <= ledger.options.maxAttachmentSize else {
                    violations.append(Violation(
                        path: "attachments[\(i)].path", rule: "file is \(size) bytes; the limit is \(ledger.options.maxAttachmentSize)", value: url.path))
                    continue
                }
                guard let data = FileManager.default.contents(atPath: url.path) else {
                    violations.append(Violation(path: "attachments[\(i)].path", rule: "file cannot be read", value: url.path))
                    continue
                }
                let bytes = [UInt8](data)
                blobs.append(bytes)
                var att = JSONObject()
                att["sha256"] = .string(Hex.encode(SHA256.hash(bytes)))
                att["mediaType"] = a["mediaType"] ?? .string(MediaTypes.guess(url.lastPathComponent))
                att["name"] = a["name"] ?? .string(url.lastPathComponent)
                for (k, v) in a where !["path", "mediaType", "name"].contains(k) { att[k] = v }
                out.append(.object(att))
            }
            o["attachments"] = .array(out)
        }
        if !violations.isEmpty { throw LedgerError(.invalidEvent, reasons: violations.map(\.description)) }
        do {
            return (try Event(json: .object(o)), blobs)
        } catch {
            throw LedgerError.validation(error)
        }
    }
}

/// Media types guessed from file extensions for attachments that do not state one.
public enum MediaTypes {
    /// The media type for a file name, `application/octet-stream` if unknown.
    public static func guess(_ name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "pdf": "application/pdf"
        case "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case "xls": "application/vnd.ms-excel"
        case "csv": "text/csv"
        case "xml": "application/xml"
        case "json": "application/json"
        case "txt": "text/plain"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "zip": "application/zip"
        default: "application/octet-stream"
        }
    }
}

extension Ledger {
    /// Signs events made in memory with a source's key and appends them, as `dpp append --source`
    /// does for a file: each is validated, rejected ones are kept in quarantine.
    /// - Parameters:
    ///   - events: unsigned event objects (the `source` member may be left out).
    ///   - source: the source whose active key signs them.
    ///   - origin: names the input in results and quarantine entries (`<origin>:<n>`).
    /// - Returns: one outcome per event, in order.
    public func append(unsigned events: [JSONObject], source: String, origin: String? = nil) throws -> [AppendOutcome] {
        let ingestor = try Ingestor(ledger: self, mode: .unsigned(source: source, baseDirectory: nil))
        let name = origin ?? source
        var out: [AppendOutcome] = []
        for start in stride(from: 0, to: events.count, by: options.maxBatchEvents) {
            let chunk = Array(events[start..<min(events.count, start + options.maxBatchEvents)].enumerated())
            let subs = parallelMap(chunk) { i, e in ingestor.submission(line: CanonicalJSON.encode(.object(e)), origin: "\(name):\(start + i + 1)") }
            out += try appendSync(subs)
        }
        return out
    }
}
