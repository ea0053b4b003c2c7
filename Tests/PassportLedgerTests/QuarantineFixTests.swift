import Foundation
import PassportIngest
import PassportModel
import Sodium
import PassportTestSupport
import Testing
@testable import PassportLedger

/// A rejected entry can be corrected, not only retried or discarded; the correction is audited.
@Suite("Quarantine corrections")
struct QuarantineFixTests {
    static let bad = #"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"ECN-7","createdAt":"2026-11-20T09:15:00Z","data":{"revision":"A","lifecycle":"draft","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"}]}}"#
    static let good = #"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"ECN-7","createdAt":"2026-11-20T09:15:00Z","data":{"revision":"A","lifecycle":"released","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"}]}}"#

    func rejected(_ ledger: Ledger, _ ingestor: Ingestor) throws -> UInt64 {
        guard case .rejected(_, let q?) = try ledger.appendSync([ingestor.submission(line: Array(Self.bad.utf8), origin: "plm.jsonl:1")])[0] else {
            Issue.record("expected a quarantined rejection")
            return 0
        }
        return q
    }

    @Test("a corrected line resolves the entry with the record it became, and a quarantine.corrected event records it")
    func correctionResolvesAndIsAudited() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: "plm", baseDirectory: nil))
        let id = try rejected(ledger, ingestor)
        let original = try ledger.quarantineEntry(id: id)
        let outcome = try ledger.correctQuarantine(id: id, with: ingestor.submission(line: Array(Self.good.utf8), origin: "fix:1"))
        guard case .resolved(let ref, let audit) = outcome else {
            Issue.record("expected resolved, got \(outcome)")
            return
        }
        let entry = try ledger.quarantineEntry(id: id)
        #expect(entry.status == .resolved && entry.resolvedIndex == ref.index)
        #expect(try ledger.record(ref.index).event.data["lifecycle"] == "released")
        let event = try ledger.record(audit).event
        #expect(event.type == "quarantine.corrected" && event.subject == .system)
        #expect(event.data["entry"] == .number(JSONNumber(Int(id))) && event.data["record"] == .number(JSONNumber(Int(ref.index))))
        #expect(event.data["sha256"]?.stringValue == Hex.encode(SHA256.hash(original.raw)))
        #expect(try ledger.verify().isIntact)
        // A resolved entry cannot be corrected again.
        #expect(throws: LedgerError.self) { try ledger.correctQuarantine(id: id, with: ingestor.submission(line: Array(Self.good.utf8), origin: "fix:2")) }
    }

    @Test("a correction that is rejected too is kept as a new entry; the original stays open")
    func rejectedCorrectionIsKept() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: "plm", baseDirectory: nil))
        let id = try rejected(ledger, ingestor)
        let size = try ledger.size()
        let outcome = try ledger.correctQuarantine(id: id, with: ingestor.submission(line: Array("{still bad".utf8), origin: "fix:1"))
        guard case .rejected(let e, let newID?) = outcome else {
            Issue.record("expected a kept rejection, got \(outcome)")
            return
        }
        #expect(e.code == .malformedJSON && newID != id)
        #expect(try ledger.quarantineEntry(id: id).status == .open)
        #expect(try ledger.quarantineEntry(id: newID).raw == Array("{still bad".utf8))
        #expect(try ledger.size() == size)
    }

    @Test("a correction interrupted after its record was appended is finished by running it again")
    func interruptedCorrectionFinishes() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: "plm", baseDirectory: nil))
        let id = try rejected(ledger, ingestor)
        // The corrected event reached the log, but the process stopped before the entry was marked.
        let first = try ledger.appendSync([ingestor.submission(line: Array(Self.good.utf8), origin: "fix:1")])[0]
        let ref = try #require(first.record)
        let outcome = try ledger.correctQuarantine(id: id, with: ingestor.submission(line: Array(Self.good.utf8), origin: "fix:2"))
        #expect(outcome == .resolved(ref, audit: ref.index + 1))
        #expect(try ledger.quarantineEntry(id: id).resolvedIndex == ref.index)
        #expect(try ledger.verify().isIntact)
    }

    @Test("entries written before intakes read back as JSON Lines intakes, and retry through the ingest layer")
    func legacyEntriesKeepTheirWayBack() throws {
        let legacy: JSONValue = ["id": 7, "receivedAt": "2026-11-20T09:15:00.000000Z", "origin": "decl.jsonl:3", "mode": "unsigned",
            "source": "supplier-portal", "baseDirectory": "/srv/in", "raw": "{}", "code": "invalid-event", "reasons": ["data: is required"],
            "status": "open", "attempts": 1, "updatedAt": "2026-11-20T09:15:00.000000Z"]
        let entry = try QuarantineEntry(json: legacy)
        #expect(Ingestor.Mode(intake: entry.intake) == .unsigned(source: "supplier-portal", baseDirectory: "/srv/in"))
        #expect(entry.violations.first?.message == "data: is required")
        var signed = legacy.objectValue!
        signed["mode"] = "signed"
        #expect(Ingestor.Mode(intake: try QuarantineEntry(json: .object(signed)).intake) == .signed)
        // And an intake written now round-trips.
        let mode = Ingestor.Mode.unsigned(source: "plm", baseDirectory: nil)
        #expect(Ingestor.Mode(intake: mode.intake) == mode)
    }
}
