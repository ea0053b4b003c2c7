import Foundation
import PassportLedger
import PassportModel
import Sodium

/// Certificates and test reports (a PDF, or any file) in, `certification.recorded` or
/// `test-report.recorded` out (`Specs/connectors/csv.md`, Documents): the file is the event's attachment
/// and its SHA-256 the event's `documentSha256` / `reportSha256`; the metadata comes from a JSON
/// sidecar beside the file (`cert.pdf.json`) and from options, which win.
public struct DocumentIngest: Sendable {
    /// The two kinds of document.
    public enum Kind: String, Sendable, CaseIterable {
        /// A certificate: `id`, `scheme`, `issuer`, `validFrom`, `validUntil`.
        case certification
        /// A conformity test report: `id`, `standard`, `result` (pass or fail), `laboratory`.
        case testReport = "test-report"

        /// The event type.
        public var eventType: String { self == .certification ? "certification.recorded" : "test-report.recorded" }
    }

    /// The metadata members a sidecar (or an option) may give.
    public static let metadataFields = ["type", "subject", "id", "issuer", "scheme", "standard", "result", "laboratory", "validFrom", "validUntil", "issuedAt", "mediaType"]

    /// The ingestor that signs.
    public let ingestor: Ingestor
    /// The source whose key signs.
    public let source: String
    /// The largest document accepted (the ledger's attachment limit).
    public let maxSize: Int

    /// Prepares to sign with `source`'s key.
    /// - Throws: ``LedgerError`` if the source has no active key.
    public init(ledger: Ledger, source: String) throws {
        ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: nil))
        self.source = source
        maxSize = ledger.options.maxAttachmentSize
    }

    /// The unsigned event of a document, or why there is none (a pure function).
    /// - Parameters:
    ///   - bytes: the document.
    ///   - name: its file name (the attachment's name).
    ///   - metadata: the sidecar's members overlaid with the options'.
    public static func event(_ bytes: [UInt8], name: String, metadata: [String: JSONValue]) -> Result<JSONObject, ValidationError> {
        let f = FieldSet(values: metadata, path: { $0 }, textual: false)
        var r = FieldReader()
        r.onlyKnown(f, metadataFields)
        var kind: Kind?
        if let t = r.text(f, "type") {
            kind = Kind(rawValue: t)
            if kind == nil { r.fail(.oneOf, "type", "one of certification, test-report", value: FileInputs.show(t)) }
        } else if f.raw("result") != nil || f.raw("standard") != nil {
            kind = .testReport
        } else if f.raw("scheme") != nil || f.raw("issuer") != nil {
            kind = .certification
        } else {
            r.missing(f, "type", "certification or test-report (--type, or type in the sidecar)")
        }
        let subject = r.subject(f, "subject", required: "the product model or batch the document is about (--subject, or subject in the sidecar)") { text in
            do { return .success(try Subject.canonical(text).rawValue) } catch { return .failure(FileInputs.Rule((error as? SubjectError)?.reason ?? "\(error)")) }
        }
        let id = r.text(f, "id", required: "the document's identifier (certificate or report number)")
        let from = r.time(f, "validFrom"), until = r.time(f, "validUntil"), issued = r.time(f, "issuedAt")
        let sha = Hex.encode(SHA256.hash(bytes))
        var data: JSONObject = [:]
        if let id { data["id"] = .string(id) }
        switch kind {
        case .certification?:
            if let v = r.text(f, "scheme", required: "the certification scheme (UN 38.3, ISO 14001…)") { data["scheme"] = .string(v) }
            if let v = r.text(f, "issuer", required: "who issued the certificate") { data["issuer"] = .string(v) }
            data["documentSha256"] = .string(sha)
        case .testReport?:
            if let v = r.text(f, "standard", required: "the standard tested against (IEC 62619…)") { data["standard"] = .string(v) }
            if let v = r.text(f, "result", required: "pass or fail") { data["result"] = .string(v) }
            if let v = r.text(f, "laboratory") { data["laboratory"] = .string(v) }
            data["reportSha256"] = .string(sha)
        case nil: break
        }
        if issued == nil && from == nil && r.violations.isEmpty {
            r.missing(f, "issuedAt", "when the document was issued (or validFrom), the event's createdAt")
        }
        let media = r.text(f, "mediaType") ?? MediaTypes.guess(name)
        guard r.violations.isEmpty, let kind, let subject, let id, let created = issued ?? from else { return .failure(ValidationError(r.violations)) }
        var event: JSONObject = [
            "type": .string(kind.eventType), "subject": .string(subject), "sourceRef": .string("\(subject)/\(id)/\(sha.prefix(16))"),
            "createdAt": .string(created), "data": .object(data),
            "attachments": [["sha256": .string(sha), "mediaType": .string(media), "name": .string(name)]],
        ]
        if let from { event["validFrom"] = .string(from) }
        if let until { event["validUntil"] = .string(until) }
        event["source"] = "documents"
        let problems: [Violation]
        do { problems = EventCatalog.validate(try Event(json: .object(event))) } catch { problems = error.violations }
        event["source"] = nil
        return problems.isEmpty ? .success(event) : .failure(ValidationError(problems))
    }

    /// The metadata of a file: its sidecar (`<path>.json`, if there is one) overlaid with `options`.
    /// - Throws: ``ValidationError`` if the sidecar is not a JSON object.
    public static func metadata(path: String, options: [String: JSONValue]) throws(ValidationError) -> [String: JSONValue] {
        var m: [String: JSONValue] = [:]
        if case .success(let bytes) = RegularFile.read(path + ".json", maxSize: 1 << 20) {
            let json: JSONValue
            do { json = try JSONParser.parse(bytes) } catch {
                throw ValidationError([Violation(code: .format, path: "", rule: "JSON", message: "the sidecar \((path as NSString).lastPathComponent).json is not valid JSON: \(error.description)")])
            }
            guard case .object(let o) = json else {
                throw ValidationError([Violation(code: .type, path: "", rule: "type object", message: "the sidecar \((path as NSString).lastPathComponent).json must be a JSON object")])
            }
            for (k, v) in o { m[k] = v }
        }
        for (k, v) in options { m[k] = v }
        return m
    }

    /// The submission of one document file. Quarantine keeps `{"file", "options"}` (the file's
    /// absolute path and the options given), not the document: `dpp quarantine retry` reads the
    /// file and its sidecar again.
    /// - Parameters:
    ///   - path: the document.
    ///   - options: metadata given on the command line (they win over the sidecar's).
    public func submission(path: String, options: [String: JSONValue], quarantineID: UInt64? = nil) -> Submission {
        var opts = JSONObject()
        for (k, v) in options { opts[k] = v }
        let entry = FileEntry(path: path, options: opts)
        let absolute = entry.file
        let name = entry.name
        let intake: JSONObject = ["connector": "document", "source": .string(source)]
        let mapped: Result<JSONObject, LedgerError>
        var bytes: [UInt8] = []
        switch entry.read(maxSize: maxSize) {
        case .failure(let e):
            mapped = .failure(e)
        case .success(let b):
            bytes = b
            do {
                mapped = Self.event(b, name: name, metadata: try Self.metadata(path: absolute, options: options)).mapError(LedgerError.validation)
            } catch {
                mapped = .failure(LedgerError.validation(error))
            }
        }
        return ingestor.submission(mapped: mapped, raw: entry.raw, origin: name, intake: intake, blobs: bytes.isEmpty ? [] : [bytes], quarantineID: quarantineID)
    }

    /// The submission that retries a quarantined document: the file and its sidecar are read again.
    /// - Throws: ``LedgerError`` if the entry's bytes are not a document intake.
    public func retry(raw: [UInt8], quarantineID: UInt64) throws -> Submission {
        guard let entry = FileEntry(raw: raw) else { throw LedgerError(.invalidArgument, "the entry does not name a document file") }
        var options: [String: JSONValue] = [:]
        for (k, v) in entry.options { options[k] = v }
        return submission(path: entry.file, options: options, quarantineID: quarantineID)
    }
}
