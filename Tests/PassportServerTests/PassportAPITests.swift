import Foundation
import HTTPTypes
import PassportIngest
import PassportLedger
import PassportModel
import PassportServer
import Testing

@Suite("HTTP API: passports, tiers, errors")
struct PassportAPITests {
    @Test("a passport is served in the caller's view, as the ledger projects it, with an ETag that changes exactly when the passport does")
    func passportAndETag() async throws {
        let h = try ServerHarness()
        let r = try await h.request("/passports/\(h.item)")
        #expect(r.status == .ok)
        #expect(r.headers[.contentType] == "application/json")
        let expected = try h.ledger.passport(try Subject(h.item)).view(.public, policy: try h.ledger.accessPolicy())
        var got = r.json.objectValue!
        #expect(got["view"] == "public")
        #expect(got["passport"] == expected.json.objectValue!["passport"])
        #expect(got["provenance"] == expected.json.objectValue!["provenance"])
        got["asOf"] = nil
        let tag = try #require(r.headers[.eTag])

        // Same passport: 304 with the same tag, also for a list and a weak tag.
        let again = try await h.request("/passports/\(h.item)", headers: [.ifNoneMatch: tag])
        #expect(again.status == .notModified)
        #expect(again.body.readableBytes == 0)
        #expect(try await h.request("/passports/\(h.item)", headers: [.ifNoneMatch: "\"other\", W/\(tag)"]).status == .notModified)

        // A write elsewhere leaves the tag alone; a write to the passport changes it.
        let other = try h.ledger.append(unsigned: [["type": "product.registered", "subject": .string(h.data.models[1]), "sourceRef": "RENAME-OTHER",
            "createdAt": "2026-11-25T10:00:00Z", "data": ["name": "Another name", "manufacturer": "Example Cells GmbH"]]], source: "plm-windchill")
        #expect(other.allSatisfy { $0.record != nil }, "\(other)")
        #expect(try await h.request("/passports/\(h.item)", headers: [.ifNoneMatch: tag]).status == .notModified)
        let outcomes = try h.ledger.append(unsigned: [["type": "product.registered", "subject": .string(h.model), "sourceRef": "RENAME-1",
            "createdAt": "2026-11-25T10:00:00Z", "data": ["name": "EV battery pack 2.2 kWh", "manufacturer": "Example Cells GmbH, Berlin, DE"]]], source: "plm-windchill")
        #expect(outcomes.allSatisfy { $0.record != nil }, "\(outcomes)")
        let changed = try await h.request("/passports/\(h.item)", headers: [.ifNoneMatch: tag])
        #expect(changed.status == .ok)
        #expect(changed.headers[.eTag] != tag)
        #expect(changed.json.objectValue?["passport"]?.objectValue?["identity"]?.objectValue?["name"] == "EV battery pack 2.2 kWh")
    }

    @Test("as-of and valid-time queries give what the ledger knew then; a subject before its first record is 404")
    func timeTravel() async throws {
        let h = try ServerHarness()
        let first = try h.ledger.history(try Subject(h.item)).first!.recordedAt
        let before = Timestamp(microsecondsSinceEpoch: first.microseconds - 1)
        let r = try await h.request("/passports/\(h.item)?asOf=\(before)")
        #expect(r.status == .notFound)
        #expect(r.problem?.code == "not-found")
        let now = try await h.request("/passports/\(h.item)?asOf=\(Timestamp.now())&validAt=2026-12-01")
        #expect(now.status == .ok)
        #expect(now.headers[.eTag] == nil, "only current passports carry an ETag")
        #expect(now.json.objectValue?["validAt"] == "2026-12-01T00:00:00.000000Z")
    }

    @Test("no field above the caller's tier: anonymous is public, a token caps the view, asking above it is 401/403")
    func tiers() async throws {
        let h = try ServerHarness()
        let policy = try h.ledger.accessPolicy()
        for (token, tier) in [(nil, AccessTier.public), ("legitimate-interest", .legitimateInterest), ("authority", .authority)] {
            let r = try await h.request("/passports/\(h.item)", token: token)
            #expect(r.status == .ok)
            #expect(r.json.objectValue?["view"] == .string(tier.rawValue))
            let fields = r.json.objectValue?["provenance"]?.objectValue?.map(\.key) ?? []
            #expect(!fields.isEmpty)
            for path in fields {
                let field = path.split(separator: "[").first.map(String.init) ?? path
                #expect(policy.tier(of: field) <= tier, "\(path) is \(policy.tier(of: field)) but served to \(tier)")
            }
            if tier == .authority { #expect(fields.contains { policy.tier(of: $0.split(separator: "[").first.map(String.init)!) == .authority }) }
        }
        let anonymous = try await h.request("/passports/\(h.item)?view=authority")
        #expect(anonymous.status == .unauthorized)
        #expect(anonymous.problem?.code == "tier-required")
        #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
        let low = try await h.request("/passports/\(h.item)?view=authority", token: "legitimate-interest")
        #expect(low.status == .forbidden)
        #expect(low.problem?.detail.contains("token recycler has tier legitimate-interest") == true)
        // A lower view than the token's is fine.
        #expect(try await h.request("/passports/\(h.item)?view=public", token: "authority").json.objectValue?["view"] == "public")
        // History and diff are cut the same way.
        let history = try await h.request("/passports/\(h.item)/history")
        for line in history.json.objectValue?["history"]?.arrayValue ?? [] {
            for f in line.objectValue?["fields"]?.arrayValue ?? [] {
                #expect(policy.tier(of: String(f.stringValue!.split(separator: "[")[0])) == .public)
            }
        }
        #expect(try await h.request("/passports/\(h.item)/history?view=authority").status == .unauthorized)
        #expect(try await h.request("/passports/\(h.item)/diff?from=2026-01-01&view=legitimate-interest", token: "public").status == .forbidden)
    }

    @Test("history and diff answer as passport history and passport diff do")
    func historyAndDiff() async throws {
        let h = try ServerHarness()
        let history = try await h.request("/passports/\(h.item)/history", token: "authority")
        #expect(history.status == .ok)
        let expected = try h.ledger.passportHistory(try Subject(h.item), view: .authority, policy: try h.ledger.accessPolicy())
        #expect(history.json.objectValue?["history"]?.arrayValue == expected.map { .object($0.0.historyJSON(facts: $0.1)) })
        let diff = try await h.request("/passports/\(h.item)/diff?from=2020-01-01", token: "authority")
        #expect(diff.status == .ok)
        let changes = diff.json.objectValue?["changes"]?.arrayValue ?? []
        #expect(!changes.isEmpty)
        #expect(changes.allSatisfy { $0.objectValue?["change"] == "added" }, "before the first record everything is added")
        #expect(try await h.request("/passports/\(h.item)/diff").problem?.code == "bad-query")
        #expect(try await h.request("/passports/\(h.item)/diff?from=2027-01-01&to=2026-01-01").status == .badRequest)
    }

    @Test("bad subjects, queries and tokens get problem details naming what is wrong, never a 5xx")
    func badInput() async throws {
        let h = try ServerHarness()
        let cases: [(String, String?, HTTPResponse.Status, String, String)] = [
            ("/passports/01/9506000134352", nil, .badRequest, "bad-subject", "write it as 01/09506000134352"),
            ("/passports/01/09506000134353", nil, .badRequest, "bad-subject", "check digit"),
            ("/passports/nonsense", nil, .badRequest, "bad-subject", "unknown subject kind"),
            ("/passports/01/09506000134352", nil, .notFound, "not-found", "01/09506000134352"),
            ("/passports/\(h.item)?asof=2026-01-01", nil, .badRequest, "bad-query", "unknown query parameter asof"),
            ("/passports/\(h.item)?asOf=yesterday", nil, .badRequest, "bad-query", "asOf=yesterday"),
            ("/passports/\(h.item)?view=everything", nil, .badRequest, "bad-query", "public, legitimate-interest or authority"),
            ("/passports/\(h.item)", "Bearer dppt_not-a-token", .unauthorized, "bad-credentials", "unknown or revoked"),
            ("/passports/\(h.item)", "Basic dXNlcjpwYXNz", .unauthorized, "bad-credentials", "Bearer <token>"),
            ("/nothing/here", nil, .notFound, "no-route", "openapi.json"),
            ("/records/abc", nil, .badRequest, "bad-index", "whole number"),
            ("/records/007", nil, .badRequest, "bad-index", "write the record index as 7"),
            ("/records/00/proof", nil, .badRequest, "bad-index", "write the record index as 0"),
            ("/records/999999", nil, .notFound, "not-found", "no record 999999"),
        ]
        for (uri, auth, status, code, detail) in cases {
            let r = try await h.request(uri, token: auth)
            #expect(r.status == status, "\(uri): \(r.status) \(r.text)")
            #expect(r.problem?.code == code, "\(uri): \(r.text)")
            #expect(r.problem?.detail.contains(detail) == true, "\(uri): \(r.text)")
            #expect(r.json.objectValue?["status"] == .number(JSONNumber(status.code)))
            #expect(r.json.objectValue?["type"]?.stringValue?.hasPrefix("urn:passport-ledger:problem:") == true)
        }
        // A method a resource does not take is 405 naming those it does.
        for (method, uri, allow) in [(HTTPRequest.Method.post, "/checkpoint", "GET, HEAD"), (.delete, "/events", "POST"), (.init("TRACE")!, "/passports/\(h.item)", "GET, HEAD")] {
            let r = try await h.request(uri, method: method)
            #expect(r.status == .methodNotAllowed, "\(method) \(uri): \(r.text)")
            #expect(r.headers[.allow] == allow)
            #expect(r.problem?.code == "method-not-allowed")
        }
        // The fully encoded spelling of a subject works too.
        #expect(try await h.request("/passports/\(h.item.replacingOccurrences(of: "/", with: "%2F"))").status == .ok)
    }

    @Test("the page is HTML with every value escaped")
    func page() async throws {
        let h = try ServerHarness()
        let o = try h.ledger.append(unsigned: [["type": "product.registered", "subject": .string(h.model), "sourceRef": "XSS",
            "createdAt": "2026-11-25T10:00:00Z", "data": ["name": "<script>alert(1)</script>", "manufacturer": "Example Cells GmbH"]]], source: "plm-windchill")
        #expect(o.allSatisfy { $0.record != nil }, "\(o)")
        let r = try await h.request("/passports/\(h.item)/page")
        #expect(r.status == .ok)
        #expect(r.headers[.contentType] == "text/html; charset=utf-8")
        #expect(r.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!r.text.contains("<script>"))
    }
}
