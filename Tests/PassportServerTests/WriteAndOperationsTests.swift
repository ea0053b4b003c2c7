import Foundation
import HTTPTypes
import PassportAudit
import PassportLedger
import PassportModel
@testable import PassportServer
import PassportTestSupport
import Testing
import Yams

@Suite("HTTP API: writes, tokens, operations and the OpenAPI contract")
struct WriteAndOperationsTests {
    /// A batch.produced event of erp-sap, new to the demo store.
    static func batchEvent(_ ref: String, subject: String, expectedSeq: Int? = nil) -> JSONObject {
        var o: JSONObject = ["type": "batch.produced", "subject": .string(subject), "source": "erp-sap", "sourceRef": .string(ref),
            "createdAt": "2026-11-25T09:00:00.000000Z", "data": ["quantity": 40, "facility": "facility/PLANT-1", "productionDate": "2026-11-24"]]
        if let expectedSeq { o["expectedSeq"] = .number(JSONNumber(expectedSeq)) }
        return o
    }

    func signedLine(_ h: ServerHarness, _ event: JSONObject, as source: String = "erp-sap") throws -> String {
        CanonicalJSON.string(try Fixtures.sign(event, with: try h.ledger.sourceSigner(source)).json)
    }

    @Test("POST /events appends signed lines of the token's source; redelivery is 200 with the existing record; results come per event")
    func appendAndRedeliver() async throws {
        let h = try ServerHarness()
        let lot = "01/\(try Subject(h.item).gtin!)/10/HTTP-1"
        let body = try [signedLine(h, Self.batchEvent("HTTP-1", subject: lot)), signedLine(h, Self.batchEvent("HTTP-2", subject: lot + "2"))].joined(separator: "\n")
        let sizeBefore = try h.ledger.size()
        let r = try await h.request("/events", method: .post, token: "erp", headers: [.contentType: "application/x-ndjson"], body: Array(body.utf8))
        #expect(r.status == .ok, "\(r.text)")
        let o = try #require(r.json.objectValue)
        #expect(o["appended"] == 2)
        let results = o["results"]!.arrayValue!
        #expect(results.map { $0.objectValue!["result"] } == ["appended", "appended"])
        #expect(results.map { $0.objectValue!["status"] } == [201, 201])
        #expect(results[0].objectValue!["subject"] == .string(lot))
        #expect(try h.ledger.size() == sizeBefore + 2)
        // The same lines again: nothing written, the existing records named.
        let again = try await h.request("/events", method: .post, token: "erp", headers: [.contentType: "application/x-ndjson"], body: Array(body.utf8))
        #expect(again.status == .ok)
        #expect(again.json.objectValue?["duplicates"] == 2)
        #expect(again.json.objectValue?["results"]?.arrayValue?[0].objectValue?["index"] == results[0].objectValue!["index"])
        #expect(try h.ledger.size() == sizeBefore + 2)
        // A JSON array works as well; the server can sign for the source with sign=server.
        let unsigned = CanonicalJSON.encode(.array([.object(Self.batchEvent("HTTP-3", subject: lot + "3"))]))
        let signedByServer = try await h.request("/events?sign=server", method: .post, token: "erp", headers: [.contentType: "application/json"], body: unsigned)
        #expect(signedByServer.status == .ok, "\(signedByServer.text)")
        #expect(try h.ledger.record(sizeBefore + 2).event.sourceRef == "HTTP-3")
    }

    @Test("write rejections: one event gets its own status as problem details (409 for expectedSeq), several 207; all kept in quarantine")
    func rejections() async throws {
        let h = try ServerHarness()
        let lot = "01/\(try Subject(h.item).gtin!)/10/HTTP-9"
        let quarantined = try h.ledger.quarantineEntries().count
        let conflict = try signedLine(h, Self.batchEvent("SEQ-1", subject: lot, expectedSeq: 5))
        let r = try await h.request("/events", method: .post, token: "erp", headers: [.contentType: "application/x-ndjson"], body: Array(conflict.utf8))
        #expect(r.status == .conflict, "\(r.text)")
        #expect(r.problem?.code == "seq-conflict")
        #expect(r.json.objectValue?["results"]?.arrayValue?.first?.objectValue?["quarantine"] != nil)
        // Another source's event through an erp token is refused (and kept), the good one beside it appended.
        let other = try signedLine(h, ["type": "product.registered", "subject": .string(h.model), "source": "plm-windchill", "sourceRef": "FORGED",
            "createdAt": "2026-11-25T09:00:00.000000Z", "data": ["name": "Forged", "manufacturer": "Nobody"]], as: "plm-windchill")
        let good = try signedLine(h, Self.batchEvent("OK-1", subject: lot))
        let mixed = try await h.request("/events", method: .post, token: "erp", headers: [.contentType: "application/x-ndjson"], body: Array((other + "\n" + good).utf8))
        #expect(mixed.status.code == 207, "\(mixed.text)")
        let results = mixed.json.objectValue!["results"]!.arrayValue!
        #expect(results[0].objectValue?["status"] == 403)
        #expect(results[0].objectValue?["code"] == "not-permitted")
        #expect(results[1].objectValue?["result"] == "appended")
        #expect(try h.ledger.quarantineEntries().count == quarantined + 2)
        #expect(try h.ledger.passport(try Subject(h.model)).entry("identity.name")?.value != "Forged")

        let cases: [(String?, String, [UInt8], HTTPResponse.Status, String)] = [
            (nil, "application/x-ndjson", Array(good.utf8), .unauthorized, "token-required"),
            ("authority", "application/x-ndjson", Array(good.utf8), .forbidden, "not-a-source"),
            ("erp", "text/csv", Array(good.utf8), .unsupportedMediaType, "bad-media-type"),
            ("erp", "application/json", Array("[{".utf8), .badRequest, "malformed-json"),
            ("erp", "application/json", Array("{}".utf8), .badRequest, "bad-body"),
            ("erp", "application/x-ndjson", [], .badRequest, "empty-body"),
            ("erp", "application/x-ndjson", Array(repeating: 0x20, count: 17 << 20), .contentTooLarge, "too-large"),
        ]
        let size = try h.ledger.size()
        for (token, type, body, status, code) in cases {
            let r = try await h.request("/events", method: .post, token: token, headers: [.contentType: type], body: body)
            #expect(r.status == status, "\(code): \(r.text.prefix(300))")
            #expect(r.problem?.code == code, "\(r.text.prefix(300))")
        }
        #expect(try h.ledger.size() == size, "nothing appended from a rejected request")
    }

    @Test("POST /ingest/epcis and /ingest/bom map a connector's payload, signed with the token's source key; an unknown connector is named")
    func ingest() async throws {
        let h = try ServerHarness()
        let store = h.server.tokens
        let tms = try store.add(name: "wms", tier: .public, source: "tms-logistics", admin: false).token
        let plm = try store.add(name: "plm", tier: .public, source: "plm-windchill", admin: false).token
        let batch = try h.ledger.passport(try Subject(h.item)).entry("identity.lot").map { "01/\(try Subject(h.item).gtin!)/10/\($0.value.stringValue!)" }!
        let epcis = #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-11-21T08:00:00Z","epcisHeader":{"epcisMasterData":{"vocabularyList":[{"type":"urn:epcglobal:epcis:vtype:BusinessLocation","vocabularyElementList":[{"id":"https://id.gs1.org/414/7080003000002","attributes":[{"id":"cbvmda:countryCode","attribute":"NO"}]}]}]}},"epcisBody":{"eventList":[{"type":"ObjectEvent","eventID":"urn:uuid:http-ship-1","eventTime":"2026-11-21T07:30:00Z","eventTimeZoneOffset":"+01:00","action":"OBSERVE","bizStep":"https://ref.gs1.org/cbv/BizStep-shipping","epcList":[],"quantityList":[{"epcClass":"https://id.gs1.org/\#(batch)","quantity":24,"uom":"EA"}],"destinationList":[{"type":"location","destination":"https://id.gs1.org/414/7080003000002"}]}]}}"#
        let r = try await h.request("/ingest/epcis?name=shipments.jsonld", method: .post, token: "Bearer \(tms)", headers: [.contentType: "application/ld+json"], body: Array(epcis.utf8))
        #expect(r.status == .ok, "\(r.text)")
        let result = try #require(r.json.objectValue?["results"]?.arrayValue?.first?.objectValue)
        #expect(result["result"] == "appended")
        #expect(result["line"] == "shipments.jsonld[0]")
        let record = try h.ledger.record(UInt64(result["index"]!.numberValue!.double))
        #expect(record.event.type == "shipment.dispatched")
        #expect(record.event.source == "tms-logistics")
        #expect(record.subject.rawValue == batch)
        // Redelivered: nothing written.
        let again = try await h.request("/ingest/epcis", method: .post, token: "Bearer \(tms)", headers: [.contentType: "application/json"], body: Array(epcis.utf8))
        #expect(again.json.objectValue?["duplicates"] == 1)

        let bom = #"{"exportedAt":"2026-11-20T09:00:00Z","exportedBy":"Windchill BoM export","assemblies":[{"assembly":"\#(h.model)","revision":"Z","lifecycle":"Released","effectiveFrom":"2027-06-01","releasedAt":"2026-11-20T08:00:00Z","lines":[{"part":"CELL-MODULE","quantity":4,"massKg":3.4,"material":"NMC811 cells","supplier":"supplier/CELLCO"}]}]}"#
        let b = try await h.request("/ingest/bom", method: .post, token: "Bearer \(plm)", headers: [.contentType: "application/json"], body: Array(bom.utf8))
        #expect(b.status == .ok, "\(b.text)")
        #expect(try h.ledger.record(UInt64(b.json.objectValue!["results"]!.arrayValue![0].objectValue!["index"]!.numberValue!.double)).event.type == "bom.released")
        // A draft is rejected (kept in quarantine) with the reason.
        let draft = try await h.request("/ingest/bom", method: .post, token: "Bearer \(plm)", headers: [.contentType: "application/json"],
            body: Array(bom.replacingOccurrences(of: "Released", with: "In Work").replacingOccurrences(of: "\"Z\"", with: "\"Y\"").utf8))
        #expect(draft.status == .unprocessableContent, "\(draft.text)")
        #expect(draft.json.objectValue?["results"]?.arrayValue?.first?.objectValue?["quarantine"] != nil)

        #expect(try await h.request("/ingest/kafka", method: .post, token: "Bearer \(plm)", body: [1]).problem?.code == "unknown-connector")
        #expect(try await h.request("/ingest/bom", method: .post, token: "authority", body: [1]).problem?.code == "not-a-source")
        #expect(try await h.request("/ingest/bom", method: .post, body: [1]).status == .unauthorized)
        #expect(try await h.request("/ingest/epcis", method: .post, token: "Bearer \(tms)", headers: [.contentType: "text/csv"], body: [1]).status == .unsupportedMediaType)
        #expect(try await h.request("/ingest/bom", method: .post, token: "Bearer \(plm)", headers: [.contentType: ";"], body: [1]).status == .unsupportedMediaType)
        let broken = try await h.request("/ingest/epcis", method: .post, token: "Bearer \(tms)", headers: [.contentType: "application/json"], body: Array("{".utf8))
        #expect(broken.status == .badRequest, "\(broken.text)")
    }

    @Test("admin endpoints: keys, policy, quarantine and its retry, for admin tokens only")
    func admin() async throws {
        let h = try ServerHarness()
        let admin = "Bearer " + (try h.server.tokens.add(name: "ops", tier: .authority, source: nil, admin: true).token)
        for uri in ["/admin/keys", "/admin/policy", "/admin/quarantine", "/admin/quarantine/1"] {
            #expect(try await h.request(uri).status == .unauthorized, "\(uri)")
            #expect(try await h.request(uri, token: "authority").status == .forbidden, "\(uri)")
        }
        let keys = try await h.request("/admin/keys", token: admin)
        #expect(keys.json.objectValue?["keys"]?.arrayValue?.compactMap { $0.objectValue?["key"]?.stringValue } == (try h.ledger.keys()).map(\.reference))
        #expect(try await h.request("/admin/policy", token: admin).json == (try h.ledger.policy().json))
        // A rejected write lands in quarantine; the admin sees it and retries it after the cause is fixed.
        let lot = "01/\(try Subject(h.item).gtin!)/10/ADMIN-1"
        let line = try signedLine(h, Self.batchEvent("ADMIN-1", subject: lot, expectedSeq: 2))
        let rejected = try await h.request("/events", method: .post, token: "erp", headers: [.contentType: "application/x-ndjson"], body: Array(line.utf8))
        let id = try #require(rejected.json.objectValue?["results"]?.arrayValue?.first?.objectValue?["quarantine"]?.numberValue?.intValue)
        let entry = try await h.request("/admin/quarantine/\(id)", token: admin)
        #expect(entry.json.objectValue?["code"] == "seq-conflict")
        #expect(entry.json.objectValue?["raw"] == .string(line))
        #expect(try await h.request("/admin/quarantine", token: admin).json.objectValue?["entries"]?.arrayValue?.contains { $0.objectValue?["id"] == .number(JSONNumber(id)) } == true)
        // Still a conflict on retry: rejected again, kept.
        let retry = try await h.request("/admin/quarantine/\(id)/retry", method: .post, token: admin)
        #expect(retry.status == .ok)
        #expect(retry.json.objectValue?["result"] == "rejected")
        #expect(retry.json.objectValue?["status"] == 409)
        #expect(try await h.request("/admin/quarantine/999", token: admin).status == .notFound)
        #expect(try await h.request("/admin/quarantine/x", token: admin).problem?.code == "bad-id")
        #expect(try await h.request("/admin/quarantine/0", token: admin).problem?.code == "bad-id")
    }

    @Test("tokens are stored as hashes in a 0600 file; a revoked token stops working in a running server")
    func tokens() async throws {
        let h = try ServerHarness()
        let store = h.server.tokens
        let text = try String(contentsOf: store.url, encoding: .utf8)
        for token in h.tokens.values { #expect(!text.contains(token)) }
        let mode = try FileManager.default.attributesOfItem(atPath: store.url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try await h.request("/passports/\(h.item)?view=authority", token: "authority").status == .ok)
        try AccessTokens(store: h.ledger.directory).revoke(name: "market-surveillance")
        try await Task.sleep(for: .milliseconds(1100))
        let r = try await h.request("/passports/\(h.item)?view=authority", token: "authority")
        #expect(r.status == .unauthorized)
        #expect(r.problem?.code == "bad-credentials")
        #expect(throws: LedgerError.self) { try store.add(name: "recycler", tier: .public, source: nil, admin: false) }
        #expect(throws: LedgerError.self) { try store.add(name: "bad name", tier: .public, source: nil, admin: false) }
    }

    @Test("health, readiness and Prometheus metrics per route template")
    func operations() async throws {
        let h = try ServerHarness()
        #expect(try await h.request("/healthz").json == ["status": "ok"])
        #expect(try await h.request("/readyz").json.objectValue?["records"] == .number(JSONNumber(Int(try h.ledger.size()))))
        _ = try await h.request("/passports/\(h.item)")
        _ = try await h.request("/passports/nonsense")
        let m = try await h.request("/metrics").text
        #expect(m.contains("dpp_http_requests_total{method=\"GET\",route=\"/passports/**\",status=\"200\"} 1"), "\(m)")
        #expect(m.contains("dpp_http_requests_total{method=\"GET\",route=\"/passports/**\",status=\"400\"} 1"))
        #expect(m.contains("dpp_http_request_duration_seconds_bucket"))
        #expect(m.contains("dpp_ledger_records \(try h.ledger.size())"))
        #expect(!m.contains(h.item), "routes are labelled by template, not by subject")
    }

    @Test("CORS: public reads answer any origin, preflights are answered")
    func cors() async throws {
        let h = try ServerHarness()
        let r = try await h.request("/passports/\(h.item)", headers: [HTTPField.Name("Origin")!: "https://scanner.example"])
        #expect(r.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "*")
        #expect(r.headers[HTTPField.Name("Access-Control-Expose-Headers")!]?.contains("ETag") == true)
        let pre = try await h.request("/passports/\(h.item)", method: .options, headers: [
            HTTPField.Name("Origin")!: "https://scanner.example", HTTPField.Name("Access-Control-Request-Method")!: "GET",
        ])
        #expect(pre.status == .noContent || pre.status == .ok)
        #expect(pre.headers[HTTPField.Name("Access-Control-Allow-Methods")!]?.contains("GET") == true)
        // Errors keep their problem details and get the CORS headers too.
        let bad = try await h.request("/passports/nonsense", headers: [HTTPField.Name("Origin")!: "https://scanner.example"])
        #expect(bad.problem?.code == "bad-subject")
        #expect(bad.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "*")
    }

    @Test("anonymous requests are limited per address; the limiter refills with time")
    func rateLimit() {
        let limiter = RateLimiter(perMinute: 60)
        let start = ContinuousClock.now
        var allowed = 0
        for _ in 0..<20 where limiter.take("192.0.2.1", now: start) == nil { allowed += 1 }
        #expect(allowed == 10, "a burst of 10")
        #expect(limiter.take("192.0.2.2", now: start) == nil, "other addresses have their own bucket")
        #expect(limiter.take("192.0.2.1", now: start + .seconds(1)) == nil, "one a second comes back")
        #expect(limiter.take("192.0.2.1", now: start + .seconds(1)) != nil)
        #expect(RateLimiter(perMinute: 0).take("192.0.2.1") == nil, "0 turns it off")
    }

    @Test("Specs/openapi.yaml is what the server serves, and it describes exactly the server's routes")
    func openAPIContract() async throws {
        let published = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Specs/openapi.yaml"), encoding: .utf8)
        #expect(published == OpenAPIDocument.text, "Specs/openapi.yaml changed: run scripts/embed-openapi.sh")
        let h = try ServerHarness()
        let served = try await h.request("/openapi.json")
        #expect(served.headers[.contentType] == "application/json")
        let doc = try #require(served.json.objectValue)
        #expect(doc["openapi"] == "3.1.0")
        let paths = try #require(doc["paths"]?.objectValue)
        var documented: [(method: String, path: String)] = []
        for (path, item) in paths {
            for (method, _) in item.objectValue ?? [:] where ["get", "post", "put", "delete", "patch"].contains(method) {
                documented.append((method.uppercased(), path))
            }
        }
        // A documented path, with each {parameter} filled, as a request path.
        func sample(_ path: String) -> String { path.replacingOccurrences(of: #"\{[^}]+\}"#, with: "X", options: .regularExpression) }
        func matches(_ pattern: String, _ path: String) -> Bool {
            let p = pattern.split(separator: "/", omittingEmptySubsequences: false)
            let s = path.split(separator: "/", omittingEmptySubsequences: false)
            for (i, part) in p.enumerated() {
                if part == "**" { return s.count > i }
                guard i < s.count else { return false }
                if part.hasPrefix(":") || part == "*" { continue }
                if part != s[i] { return false }
            }
            return p.count == s.count
        }
        let routes = h.server.routes
        #expect(routes.count >= 15)
        for d in documented {
            #expect(routes.contains { $0.method == d.method && matches($0.path, sample(d.path)) }, "documented \(d.method) \(d.path) has no route")
        }
        for r in routes {
            #expect(documented.contains { $0.method == r.method && matches(r.path, sample($0.path)) }, "route \(r.method) \(r.path) is not documented")
        }
        // Every documented path answers as documented: with no route it would be the router's no-route 404.
        for d in documented where d.method == "GET" {
            let r = try await h.request(sample(d.path))
            #expect(r.problem?.code != "no-route", "GET \(d.path)")
            let statuses = paths[d.path]?.objectValue?["get"]?.objectValue?["responses"]?.objectValue?.map(\.key) ?? []
            #expect(statuses.contains(String(r.status.code)), "GET \(sample(d.path)) answered \(r.status.code), not documented for \(d.path): \(r.text.prefix(200))")
        }
    }
}

@Suite("dpp serve settings and logs")
struct ServeSettingsTests {
    @Test("a config file sets host, port, public URL and limits; unknown or malformed settings are named")
    func configFile() throws {
        let dir = TemporaryDirectory()
        let good = dir.path("serve.yaml")
        try Data("host: 0.0.0.0\nport: 9090\npublicURL: https://id.example.com/\nanonymousRequestsPerMinute: 0\n".utf8).write(to: good)
        let c = try ServerConfiguration.load(file: good.path)
        #expect(c.host == "0.0.0.0")
        #expect(c.port == 9090)
        #expect(c.baseURL == "https://id.example.com")
        #expect(c.anonymousRequestsPerMinute == 0)
        #expect(ServerConfiguration().baseURL == "http://localhost:8080")
        for (text, message) in [("port: 70000\n", "port must be a port number"), ("publicURL: ftp://x\n", "publicURL must be an http(s) URL"),
            ("colour: blue\n", "unknown setting colour"), ("- a\n- b\n", "must be a mapping"), ("port: [\n", "is not YAML")]
        {
            let f = dir.path("bad.yaml")
            try Data(text.utf8).write(to: f)
            #expect { try ServerConfiguration.load(file: f.path) } throws: { ($0 as? LedgerError)?.message.contains(message) == true }
        }
    }

    @Test("no token and no Authorization header appears in the request log")
    func noSecretsInLogs() async throws {
        let h = try ServerHarness()
        LogCapture.install()
        _ = try await h.request("/passports/\(h.item)?view=authority", token: "authority")
        _ = try await h.request("/passports/\(h.item)", token: "Bearer dppt_wrongwrongwrong")
        let captured = LogCapture.lines.joined(separator: "\n")
        #expect(captured.contains("/passports/"), "requests are logged: \(captured)")
        for token in h.tokens.values { #expect(!captured.contains(token)) }
        #expect(!captured.contains("dppt_"))
        #expect(!captured.lowercased().contains("authorization"))
    }
}

import Logging
import Synchronization

/// Collects every log line of the process (the logging system is bootstrapped once, for all
/// tests). A value type, as swift-log expects: each logger has its own copy of the metadata, and
/// only the collected lines are shared, behind a mutex.
struct LogCapture: LogHandler {
    private static let installed = Mutex(false)
    private static let store = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    /// What every logger wrote since the capture was installed.
    static var lines: [String] { store.withLock { $0 } }

    static func install() {
        installed.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { _ in LogCapture() }
        }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let line = "\(event.level) \(event.message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))"
        Self.store.withLock { $0.append(line) }
    }
}
