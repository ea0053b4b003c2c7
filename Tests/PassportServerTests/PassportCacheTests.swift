import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PassportIngest
import PassportLedger
import PassportModel
@testable import PassportServer
import PassportTestSupport
import Testing

@Suite("HTTP API: current passports are cached exactly")
struct PassportCacheTests {
    /// A store on a test clock with one model, served.
    static func served() throws -> (TemporaryDirectory, TestClock, Ledger, PassportServer) {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["plm", "qa"], options: clock.options)
        let o = try ledger.append(unsigned: [["type": "product.registered", "subject": .string(Fixtures.model), "sourceRef": "PRD-1",
            "createdAt": "2026-11-20T09:00:00Z", "data": ["name": "Pack", "manufacturer": "Example Cells GmbH"]]], source: "plm")
        #expect(o.allSatisfy { $0.record != nil }, "\(o)")
        return (dir, clock, ledger, PassportServer(ledger: ledger, tokens: try AccessTokens(store: ledger.directory)))
    }

    static func get(_ server: PassportServer, _ uri: String) async throws -> TestResponse {
        try await Application(router: server.router()).test(.router) { client in try await client.execute(uri: uri, method: .get) }
    }

    @Test("a fact that comes into force later changes the passport and its ETag when its time comes, with no write in between")
    func validTimeBoundary() async throws {
        let (dir, clock, ledger, server) = try Self.served()
        defer { withExtendedLifetime(dir) {} }
        let now = clock.now()
        let from = Timestamp(microsecondsSinceEpoch: now.microseconds + 10_000_000)
        let o = try ledger.append(unsigned: [["type": "certification.recorded", "subject": .string(Fixtures.model), "sourceRef": "CERT-LATER",
            "createdAt": .string(now.description), "validFrom": .string(from.description), "validUntil": "2030-01-01T00:00:00Z",
            "data": ["id": "C-1", "issuer": "Lab", "scheme": "IEC 62619"]]], source: "qa")
        #expect(o.allSatisfy { $0.record != nil }, "\(o)")
        let before = try await Self.get(server, "/passports/\(Fixtures.model)")
        #expect(before.json.objectValue?["passport"]?.objectValue?["manufacturing"] == nil)
        clock.advance(microseconds: 5_000_000)
        let still = try await Self.get(server, "/passports/\(Fixtures.model)")
        #expect(still.headers[.eTag] == before.headers[.eTag])
        #expect(still.json.objectValue?["asOf"] == .string(clock.now().description), "the query time is the request's, not the cached one's")
        #expect(still.json.objectValue?["validAt"] == .string(clock.now().description))
        clock.advance(microseconds: 5_000_001)
        let after = try await Self.get(server, "/passports/\(Fixtures.model)")
        #expect(after.headers[.eTag] != before.headers[.eTag])
        #expect(after.json.objectValue?["passport"]?.objectValue?["manufacturing"]?.objectValue?["certifications"]?.objectValue?["C-1"] != nil)
        // Whatever the cache holds, the body is what the ledger projects now.
        let fresh = try ledger.passport(try Subject(Fixtures.model)).view(.public)
        #expect(after.json.objectValue?["passport"] == fresh.json.objectValue?["passport"])
    }

    @Test("a change of the deployment's access tiers changes the view (within a second)")
    func accessTiersChange() async throws {
        let (dir, _, ledger, server) = try Self.served()
        defer { withExtendedLifetime(dir) {} }
        let before = try await Self.get(server, "/passports/\(Fixtures.model)")
        #expect(before.json.objectValue?["passport"]?.objectValue?["identity"]?.objectValue?["name"] == "Pack")
        try Data(#"{"identity.name": "authority"}"#.utf8).write(to: ledger.directory.appendingPathComponent("access-tiers.json"))
        try await Task.sleep(for: .milliseconds(1100))
        let after = try await Self.get(server, "/passports/\(Fixtures.model)")
        #expect(after.json.objectValue?["passport"]?.objectValue?["identity"]?.objectValue?["name"] == nil)
        #expect(after.headers[.eTag] != before.headers[.eTag])
    }

    @Test("the cache keeps at most its capacity in bytes")
    func capacity() throws {
        let (dir, clock, ledger, _) = try Self.served()
        defer { withExtendedLifetime(dir) {} }
        let cache = PassportCache(capacity: 10_000)
        let model = try Subject(Fixtures.model)
        let now = clock.now()
        let commit = try ledger.commitID()
        _ = try cache.current(model, view: .public, ledger: ledger, policy: .defaults, now: now)
        #expect(cache.cached(model, view: .public, policy: .defaults, commit: commit, now: now) != nil)
        _ = try cache.current(model, view: .authority, ledger: ledger, policy: .defaults, now: now)
        #expect(cache.cached(model, view: .authority, policy: .defaults, commit: commit, now: now) != nil)
        let tiny = PassportCache(capacity: 1)
        _ = try tiny.current(model, view: .public, ledger: ledger, policy: .defaults, now: now)
        _ = try tiny.current(model, view: .authority, ledger: ledger, policy: .defaults, now: now)
        #expect(tiny.cached(model, view: .public, policy: .defaults, commit: commit, now: now) == nil, "over capacity, the cache starts afresh")
        #expect(tiny.cached(model, view: .authority, policy: .defaults, commit: commit, now: now) != nil)
    }

    @Test("the query times sit where the cache rewrites them, whatever the passport holds")
    func offsets() throws {
        let p = Passport(id: try Subject(Fixtures.model), asOf: .now(), validAt: .now(), view: .public, entries: [
            PassportEntry(field: "identity.name", key: nil, value: .string(#"x","validAt":"2026"#),
                provenance: Provenance(index: 0, subject: Fixtures.model, source: "plm", sourceRef: "r", type: "t", recordedAt: .now())),
        ])
        let r = PassportCache.render(p)
        let t = Timestamp(microsecondsSinceEpoch: 1_800_000_000_000_000)
        let moved = try JSONParser.parse(r.at(t)).objectValue!
        #expect(moved["asOf"] == .string(t.description))
        #expect(moved["validAt"] == .string(t.description))
        #expect(moved["passport"] == p.json.objectValue!["passport"])
    }
}
