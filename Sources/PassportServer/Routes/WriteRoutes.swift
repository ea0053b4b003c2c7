import Foundation
import Hummingbird
import NIOCore
import PassportIngest
import PassportLedger
import PassportModel

extension PassportServer {
    /// `POST /events`: JSON Lines (or a JSON array) of events, appended as `dpp append` does.
    func addWriteRoutes(to router: Router<ServerContext>) {
        route(router, .post, "/events") { request, context in
            let caller = try self.caller(request)
            let q = try Query(request, allowed: ["sign"])
            guard let token = caller.token else {
                var p = Problem(.unauthorized, "token-required", "writing needs a bearer token of a source (dpp tokens add NAME --source SOURCE)")
                p.headers[.wwwAuthenticate] = "Bearer realm=\"passport-ledger\""
                throw p
            }
            let serverSigns: Bool
            switch q["sign"] {
            case nil, "source": serverSigns = false
            case "server": serverSigns = true
            case let other?: throw Problem(.badRequest, "bad-query", "sign=\(other): must be source (lines signed by the source, the default) or server (unsigned events, signed with the token's source key)")
            }
            guard token.source != nil || (token.admin && !serverSigns) else {
                throw Problem(.forbidden, "not-a-source", "token \(token.name) names no source; writes need a source token (dpp tokens add NAME --source SOURCE)\(serverSigns ? " to sign with" : "")")
            }
            let type = try mediaType(request)
            guard ["application/x-ndjson", "application/jsonl", "application/json-lines", "application/json", ""].contains(type) else {
                throw Problem(.unsupportedMediaType, "bad-media-type",
                    "send events as application/x-ndjson (JSON Lines, one event a line) or application/json (an array of events), not \(type)")
            }
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let bytes = Array(buffer: body)
            let ledger = self.ledger
            let outcomes = try await self.blocking { () -> [(Submission, AppendOutcome)] in
                let mode: Ingestor.Mode = serverSigns ? .unsigned(source: token.source!, baseDirectory: nil) : .signed
                let ingestor = try Ingestor(ledger: ledger, mode: mode)
                var subs: [Submission]
                if type == "application/json" {
                    let parsed: JSONValue
                    do { parsed = try JSONParser.parse(bytes) } catch {
                        throw Problem(.badRequest, "malformed-json", "the body is not JSON: \(error)")
                    }
                    guard case .array(let items) = parsed else { throw Problem(.badRequest, "bad-body", "an application/json body is an array of events; send one event as [ {…} ] or as application/x-ndjson") }
                    subs = items.enumerated().map { i, item in ingestor.submission(line: CanonicalJSON.encode(item), origin: "request[\(i)]") }
                } else {
                    subs = ingestor.submissions(from: bytes, name: "request")
                }
                guard !subs.isEmpty else { throw Problem(.badRequest, "empty-body", "the body holds no events") }
                // A source token writes only as its source.
                if let source = token.source, !token.admin {
                    for i in subs.indices {
                        if case .success(let e) = subs[i].content, e.event.source != source {
                            subs[i].content = .failure(LedgerError(.notPermitted, "token \(token.name) writes as \(source); this event is from \(e.event.source)"))
                        }
                    }
                }
                let pending = try ledger.startAppend(subs)
                return Array(zip(subs, try pending.wait()))
            }
            return self.writeResults(outcomes, path: request.uri.path)
        }
    }

    /// `POST /ingest/{connector}`: a connector's raw payload (an EPCIS document, a PLM BoM export),
    /// mapped and signed with the token's source key, appended as `dpp ingest` does.
    func addIngestRoutes(to router: Router<ServerContext>) {
        route(router, .post, "/ingest/:connector") { request, context in
            let caller = try self.caller(request)
            let connector = context.parameters.get("connector") ?? ""
            let q = try Query(request, allowed: ["name"])
            guard ["epcis", "bom"].contains(connector) else {
                throw Problem(.notFound, "unknown-connector", "no connector \(connector) over HTTP; POST /ingest/epcis (EPCIS 2.0 documents) or /ingest/bom (PLM BoM exports, JSON or CSV); the other connectors run with dpp ingest")
            }
            guard let token = caller.token else {
                var p = Problem(.unauthorized, "token-required", "ingesting needs a bearer token of a source (dpp tokens add NAME --source SOURCE)")
                p.headers[.wwwAuthenticate] = "Bearer realm=\"passport-ledger\""
                throw p
            }
            guard let source = token.source else {
                throw Problem(.forbidden, "not-a-source", "token \(token.name) names no source; the connector signs with the token's source key (dpp tokens add NAME --source SOURCE)")
            }
            let type = try mediaType(request)
            let accepted = connector == "epcis" ? ["application/json", "application/ld+json", ""] : ["application/json", "text/csv", ""]
            guard accepted.contains(type) else {
                throw Problem(.unsupportedMediaType, "bad-media-type", "POST /ingest/\(connector) takes \(accepted.filter { !$0.isEmpty }.joined(separator: " or ")), not \(type)")
            }
            let name = q["name"] ?? (connector == "epcis" ? "request.jsonld" : type == "text/csv" ? "bom.csv" : "bom.json")
            guard (try? Subject("supplier/\(name)")) != nil else {
                throw Problem(.badRequest, "bad-query", "name=\(name): a file name is 1–64 of A–Z a–z 0–9 . _ : -")
            }
            let bytes = Array(buffer: try await request.body.collect(upTo: context.maxUploadSize))
            guard !bytes.isEmpty else { throw Problem(.badRequest, "empty-body", "the body holds no \(connector == "epcis" ? "EPCIS document" : "BoM export")") }
            let ledger = self.ledger
            let outcomes = try await self.blocking { () -> [(Submission, AppendOutcome)] in
                let subs: [Submission]
                if connector == "epcis" {
                    subs = try EPCISIngest(ledger: ledger, source: source).items(bytes, input: name).flatMap(\.submissions)
                } else {
                    subs = try BOMIngest(ledger: ledger, source: source).submissions(bytes, format: type == "text/csv" ? .csv : .json, fileName: name)
                }
                guard !subs.isEmpty else { return [] }
                return Array(zip(subs, try ledger.startAppend(subs).wait()))
            }
            return self.writeResults(outcomes, path: request.uri.path)
        }
    }

    /// 200 when every event was appended or was already there; a single rejected event gets its
    /// own status (409 for a sequence or idempotency conflict, 422 for a rule, 403…) as problem
    /// details with the result; several with some rejected get 207 and the list.
    func writeResults(_ outcomes: [(Submission, AppendOutcome)], path: String) -> Response {
        var results: [JSONValue] = []
        var appended = 0, duplicates = 0, rejected = 0
        var statuses: [Int] = []
        for (s, o) in outcomes {
            var j = o.json(line: s.origin)
            switch o {
            case .appended: appended += 1; j["status"] = 201; statuses.append(201)
            case .duplicate: duplicates += 1; j["status"] = 200; statuses.append(200)
            case .rejected(let e, _):
                rejected += 1
                let status = Problem(e).status.code
                j["status"] = .number(JSONNumber(status))
                statuses.append(status)
            }
            results.append(.object(j))
        }
        metrics.appended.increment(by: Int64(appended))
        metrics.duplicates.increment(by: Int64(duplicates))
        metrics.quarantined.increment(by: Int64(rejected))
        let summary: JSONObject = ["results": .array(results), "appended": .number(JSONNumber(appended)),
            "duplicates": .number(JSONNumber(duplicates)), "rejected": .number(JSONNumber(rejected))]
        if rejected == 0 { return Reply.json(.object(summary)) }
        if outcomes.count == 1, case .rejected(let e, _) = outcomes[0].1 {
            var p = Problem(e)
            p.extra = summary
            var o = p.json(instance: path)
            o["results"] = .array(results)
            return Reply.json(.object(o), status: p.status, type: "application/problem+json")
        }
        return Reply.json(.object(summary), status: .init(code: 207, reasonPhrase: "Multi-Status"))
    }
}
