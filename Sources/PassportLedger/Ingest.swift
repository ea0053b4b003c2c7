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
        return Submission(
            raw: line.bytes, origin: origin, mode: mode,
            content: .failure(LedgerError(
                .tooLarge,
                "the line is \(oversized.length) bytes; a line is at most \(Ingestor.maxLineSize) bytes and a record at most \(Record.maxCanonicalSize) — put large content in an attachment (only the line's first \(line.bytes.count) bytes are kept in quarantine, with its length and SHA-256)")),
            truncated: oversized)
    }

    /// Makes a submission from one line.
    public func submission(line: [UInt8], origin: String, quarantineID: UInt64? = nil) -> Submission {
        var blobs: [[UInt8]] = []
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
                blobs = files
                let sig = signer!.key.sign(event.signatureInput)
                content = .success(SignedEvent(event: event, signature: EventSignature(key: signer!.verifier.reference, sig: sig)))
            }
        } catch let e as LedgerError {
            content = .failure(e)
        } catch {
            content = .failure(LedgerError(.invalidEvent, "the line could not be read as an event: \(error)", underlying: error))
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

/// Splits a byte stream into JSON Lines in linear time and bounded memory.
///
/// Lines end at LF (a CR before it is dropped); blank lines are skipped but counted. A line longer
/// than ``Ingestor/maxLineSize`` is not accumulated: the reader keeps its first
/// ``JSONLinesReader/keptPrefix`` bytes, hashes and counts the rest as it streams past, and hands
/// the line over as ``Line/oversized``.
public final class JSONLinesReader {
    /// One non-blank line.
    public struct Line: Sendable {
        /// 1-based line number in the input.
        public let number: Int
        /// The line without its line ending (for an oversized line, its first bytes only).
        public let bytes: [UInt8]
        /// Set when the line was longer than the limit: its true length and SHA-256.
        public let oversized: TruncatedInput?
    }

    /// How many bytes of an oversized line are kept (for quarantine).
    public static let keptPrefix = 4096

    private let read: () throws -> [UInt8]
    private let maxLineSize: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var lineNumber = 0
    private var eof = false
    private var skipping: (prefix: [UInt8], length: Int)?
    private var hasher: SHA256.Hasher?

    /// Reads from a source that returns the next chunk of bytes, or an empty array at the end.
    public init(maxLineSize: Int = Ingestor.maxLineSize, read: @escaping () throws -> [UInt8]) {
        self.maxLineSize = maxLineSize
        self.read = read
    }

    /// Reads from a file handle, 4 MiB at a time.
    public convenience init(handle: FileHandle, maxLineSize: Int = Ingestor.maxLineSize) {
        self.init(maxLineSize: maxLineSize) { [UInt8](try handle.read(upToCount: 4 << 20) ?? Data()) }
    }

    /// Reads bytes already in memory.
    public convenience init(bytes: [UInt8], maxLineSize: Int = Ingestor.maxLineSize) {
        var rest: [UInt8]? = bytes
        self.init(maxLineSize: maxLineSize) {
            defer { rest = nil }
            return rest ?? []
        }
    }

    /// Up to `count` non-blank lines; empty at the end of input.
    /// - Throws: whatever the byte source throws (a read error).
    /// - Complexity: O(n) in the bytes read; memory O(chunk + ``Ingestor/maxLineSize``).
    public func next(count: Int) throws -> [Line] {
        var lines: [Line] = []
        while lines.count < count {
            if skipping != nil {
                if let nl = buffer[start...].firstIndex(of: 0x0A) {
                    finishOversized(upTo: nl, into: &lines)
                    start = nl + 1
                    scanned = start
                    continue
                }
                hasher!.update(buffer[start...])
                skipping!.length += buffer.count - start
                buffer.removeAll(keepingCapacity: true)
                (start, scanned) = (0, 0)
                if eof {
                    finishOversized(upTo: 0, into: &lines)
                    break
                }
                try fill()
                continue
            }
            if let nl = buffer[scanned...].firstIndex(of: 0x0A) {
                if nl - start > maxLineSize {
                    beginOversized(end: nl)
                    finishOversized(upTo: nl, into: &lines)
                } else {
                    emit(buffer[start..<nl], into: &lines)
                }
                start = nl + 1
                scanned = start
                continue
            }
            scanned = buffer.count
            if buffer.count - start > maxLineSize {
                beginOversized(end: buffer.count)
                buffer.removeAll(keepingCapacity: true)
                (start, scanned) = (0, 0)
                continue
            }
            if eof {
                if start < buffer.count { emit(buffer[start...], into: &lines) }
                start = buffer.count
                scanned = start
                break
            }
            buffer.removeFirst(start)
            scanned -= start
            start = 0
            try fill()
        }
        return lines
    }

    /// One JSON Lines line without its line ending, or nil if it is blank (blank lines are skipped,
    /// but still counted for line numbers).
    public static func line(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var line = Array(bytes)
        if line.last == 0x0D { line.removeLast() }
        return line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) ? nil : line
    }

    private func fill() throws {
        let chunk = try read()
        if chunk.isEmpty { eof = true } else { buffer.append(contentsOf: chunk) }
    }

    /// Starts skipping a line found too long: keeps its prefix and hashes `buffer[start..<end]`.
    private func beginOversized(end: Int) {
        lineNumber += 1
        var h = SHA256.Hasher()
        h.update(buffer[start..<end])
        hasher = consume h
        skipping = (Array(buffer[start..<min(end, start + JSONLinesReader.keptPrefix)]), end - start)
        start = end
    }

    /// Ends an oversized line: hashes `buffer[start..<end]` and emits it.
    private func finishOversized(upTo end: Int, into lines: inout [Line]) {
        guard var h = hasher.take(), let s = skipping else { return }
        if end > start {
            h.update(buffer[start..<end])
        }
        let length = s.length + max(0, end - start)
        skipping = nil
        lines.append(Line(number: lineNumber, bytes: s.prefix, oversized: TruncatedInput(length: length, sha256: h.finalize())))
    }

    private func emit(_ slice: ArraySlice<UInt8>, into lines: inout [Line]) {
        lineNumber += 1
        if let bytes = JSONLinesReader.line(slice) { lines.append(Line(number: lineNumber, bytes: bytes, oversized: nil)) }
    }
}

/// What is known of an input too long to keep whole: its length and SHA-256 (the kept bytes are a prefix).
public struct TruncatedInput: Sendable, Hashable {
    /// The input's full length in bytes.
    public let length: Int
    /// SHA-256 of the full input.
    public let sha256: [UInt8]

    /// Creates the description of a truncated input.
    public init(length: Int, sha256: [UInt8]) {
        self.length = length
        self.sha256 = sha256
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
