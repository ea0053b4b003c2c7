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
            let token = try caller.token("token-required", "writing needs a bearer token of a source (dpp tokens add NAME --source SOURCE)")
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
            let outcomes = try await self.blocking { () -> [WriteResult] in
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
                return zip(subs, try pending.wait()).map { .outcome($0.0, $0.1) }
            }
            return self.writeResults(outcomes, path: request.uri.path)
        }
    }

    /// 200 when every event was appended or was already there; a single rejected event gets its
    /// own status (409 for a sequence or idempotency conflict, 422 for a rule, 403…) as problem
    /// details with the result; several with some rejected get 207 and the list.
    func writeResults(_ outcomes: [WriteResult], path: String) -> Response {
        var results: [JSONValue] = []
        var appended = 0, duplicates = 0, rejected = 0, skipped = 0
        var single: LedgerError?
        for r in outcomes {
            switch r {
            case .skipped(let origin, let reason):
                skipped += 1
                results.append(["line": .string(origin), "result": "skipped", "reason": .string(reason), "status": 200])
            case .outcome(let s, let o):
                var j = o.json(line: s.origin)
                switch o {
                case .appended: appended += 1; j["status"] = 201
                case .duplicate: duplicates += 1; j["status"] = 200
                case .rejected(let e, _):
                    rejected += 1
                    single = e
                    j["status"] = .number(JSONNumber(Problem(e).status.code))
                }
                results.append(.object(j))
            }
        }
        metrics.appended.increment(by: Int64(appended))
        metrics.duplicates.increment(by: Int64(duplicates))
        metrics.quarantined.increment(by: Int64(rejected))
        var summary: JSONObject = ["results": .array(results), "appended": .number(JSONNumber(appended)),
            "duplicates": .number(JSONNumber(duplicates)), "rejected": .number(JSONNumber(rejected))]
        if skipped > 0 { summary["skipped"] = .number(JSONNumber(skipped)) }
        if rejected == 0 { return Reply.json(.object(summary)) }
        if outcomes.count == 1, let e = single {
            var p = Problem(e)
            p.extra = summary
            return Reply.json(.object(p.json(instance: path)), status: p.status, type: "application/problem+json")
        }
        return Reply.json(.object(summary), status: .init(code: 207, reasonPhrase: "Multi-Status"))
    }
}

/// One result of a write request, in input order.
enum WriteResult: Sendable {
    /// A submission and what the ledger did with it.
    case outcome(Submission, AppendOutcome)
    /// Input that writes nothing by design (a CDC redelivery, an update of no mapped column).
    case skipped(String, String)
}
