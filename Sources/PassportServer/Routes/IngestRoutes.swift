import Foundation
import Hummingbird
import PassportIngest
import PassportLedger
import PassportModel
import Sodium
import Synchronization

extension PassportServer {
    /// The connectors over HTTP, with the media types each takes and the query parameters it reads.
    static let connectors: [String: (types: [String], parameters: Set<String>)] = [
        "epcis": (["application/json", "application/ld+json"], ["name"]),
        "bom": (["application/json", "text/csv"], ["name"]),
        "debezium": (["application/x-ndjson", "application/jsonl", "application/json"], ["name", "mapping"]),
        "csv": (["text/csv"], ["name", "mapping", "supplier"]),
        "cmrt": (["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"],
            ["name", "supplier", "validFrom", "validUntil"]),
        "ipc1752": (["application/xml", "text/xml"], ["name", "subject", "supplier", "validFrom"]),
        "document": (["application/pdf", "application/octet-stream"],
            ["name", "subject", "type", "id", "issuer", "scheme", "standard", "result", "laboratory", "validFrom", "validUntil", "issuedAt"]),
    ]

    /// `POST /ingest/{connector}`: a connector's raw payload, mapped and signed with the token's
    /// source key, appended as `dpp ingest` does. Documents (CMRT workbooks, IPC-1752A, PDF) are
    /// kept under `<store>/uploads/` so that quarantine can read them again on retry.
    func addIngestRoutes(to router: Router<ServerContext>) {
        route(router, .post, "/ingest/:connector") { request, context in
            let caller = try self.caller(request)
            let connector = context.parameters.get("connector") ?? ""
            guard let spec = Self.connectors[connector] else {
                throw Problem(.notFound, "unknown-connector", "no connector \(connector); the connectors are \(Self.connectors.keys.sorted().joined(separator: ", "))")
            }
            let q = try Query(request, allowed: spec.parameters)
            let token = try caller.token("token-required", "ingesting needs a bearer token of a source (dpp tokens add NAME --source SOURCE)")
            guard let source = token.source else {
                throw Problem(.forbidden, "not-a-source", "token \(token.name) names no source; the connector signs with the token's source key (dpp tokens add NAME --source SOURCE)")
            }
            let type = try mediaType(request)
            guard type.isEmpty || spec.types.contains(type) else {
                throw Problem(.unsupportedMediaType, "bad-media-type", "POST /ingest/\(connector) takes \(spec.types.joined(separator: " or ")), not \(type)")
            }
            let name = try q["name"].map(Self.fileName) ?? Self.defaultName(connector, type)
            var mappingFile: String?
            if spec.parameters.contains("mapping") {
                guard let m = q["mapping"] else {
                    throw Problem(.badRequest, "bad-query", "mapping is required: the name of a mapping in the server's config (\(self.configuration.mappings.keys.sorted().joined(separator: ", ")))")
                }
                guard let file = self.configuration.mappings[m] else {
                    throw Problem(.badRequest, "bad-query", "mapping=\(m): no such mapping in the server's config; it has \(self.configuration.mappings.isEmpty ? "none" : self.configuration.mappings.keys.sorted().joined(separator: ", "))")
                }
                mappingFile = file
            }
            var options: [String: String] = [:]
            for key in ["supplier", "subject", "validFrom", "validUntil", "type", "id", "issuer", "scheme", "standard", "result", "laboratory", "issuedAt"] {
                if let v = q[key] { options[key] = v }
            }
            let bytes = Array(buffer: try await request.body.collect(upTo: context.maxUploadSize))
            guard !bytes.isEmpty else { throw Problem(.badRequest, "empty-body", "the body holds no \(connector) input") }
            let ledger = self.ledger
            let uploads = ledger.directory.appendingPathComponent("uploads")
            let (opts, mapping) = (options, mappingFile)
            let outcomes = try await self.blocking { () -> [WriteResult] in
                func append(_ subs: [Submission]) throws -> [WriteResult] {
                    subs.isEmpty ? [] : zip(subs, try ledger.startAppend(subs).wait()).map { .outcome($0.0, $0.1) }
                }
                switch connector {
                case "epcis":
                    return try append(try EPCISIngest(ledger: ledger, source: source).items(bytes, input: name).flatMap(\.submissions))
                case "bom":
                    return try append(try BOMIngest(ledger: ledger, source: source).submissions(bytes, format: type == "text/csv" ? .csv : .json, fileName: name))
                case "csv":
                    return try append(try AttestationIngest(ledger: ledger, source: source, mappingFile: mapping!, supplier: opts["supplier"])
                        .submissions(bytes, fileName: name))
                case "debezium":
                    // A row's changes depend on each other: one CDC request at a time maps in order.
                    return try self.cdcLock.withLock { _ in
                        var ingest = try DebeziumIngest(ledger: ledger, source: source, mappingFile: mapping!)
                        var subs: [Submission] = []
                        var order: [WriteResult?] = []  // nil: the next appended submission
                        for line in try JSONLinesReader(bytes: bytes).next(count: .max) {
                            let origin = "\(name):\(line.number)"
                            if line.oversized != nil {
                                var s = ingest.ingestor.submission(line, name: name)
                                s.intake = ingest.intake
                                subs.append(s)
                                order.append(nil)
                                continue
                            }
                            switch try ingest.item(line.bytes, origin: origin) {
                            case .submit(let s):
                                subs.append(s)
                                order.append(nil)
                            case .skip(let reason):
                                order.append(.skipped(origin, reason))
                            }
                        }
                        var appended = try append(subs).makeIterator()
                        ingest.batchAppended()
                        return order.map { $0 ?? appended.next()! }
                    }
                default:
                    let file = try Self.keepUpload(bytes, name: name, in: uploads)
                    switch connector {
                    case "cmrt": return try append([try CMRTIngest(ledger: ledger, source: source).submission(path: file, options: opts)])
                    case "ipc1752": return try append(try IPC1752Ingest(ledger: ledger, source: source).submissions(path: file, options: opts))
                    default:
                        return try append([try DocumentIngest(ledger: ledger, source: source).submission(path: file, options: opts.mapValues { .string($0) })])
                    }
                }
            }
            return self.writeResults(outcomes, path: request.uri.path)
        }
    }

    static func defaultName(_ connector: String, _ type: String) -> String {
        switch connector {
        case "epcis": "request.jsonld"
        case "bom": type == "text/csv" ? "bom.csv" : "bom.json"
        case "debezium": "request"
        case "csv": "attestations.csv"
        case "cmrt": "cmrt.xlsx"
        case "ipc1752": "declaration.xml"
        default: "document.pdf"
        }
    }

    /// A file name from `name=`: 1–64 of `A–Z a–z 0–9 . _ : -`, not `.` or `..`.
    static func fileName(_ text: String) throws -> String {
        guard (try? Subject("supplier/\(text)")) != nil, text != ".", text != ".." else {
            throw Problem(.badRequest, "bad-query", "name=\(text): a file name is 1–64 of A–Z a–z 0–9 . _ : -")
        }
        return text
    }

    /// Keeps an uploaded document at `<uploads>/<sha256>/<name>` (0600), where a quarantine retry
    /// reads it again; the same bytes under the same name are kept once.
    static func keepUpload(_ bytes: [UInt8], name: String, in uploads: URL) throws -> String {
        let folder = uploads.appendingPathComponent(Hex.encode(SHA256.hash(bytes)))
        let file = folder.appendingPathComponent(name)
        let fm = FileManager.default
        if fm.fileExists(atPath: file.path) { return file.path }
        do {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard fm.createFile(atPath: file.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                throw LedgerError(.io, "cannot write \(file.path)")
            }
        } catch let e as LedgerError {
            throw e
        } catch {
            throw LedgerError(.io, "cannot keep the upload in \(folder.path): \(error.localizedDescription)", underlying: error)
        }
        return file.path
    }
}
