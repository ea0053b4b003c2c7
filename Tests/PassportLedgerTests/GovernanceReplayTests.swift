import Foundation
import PassportAudit
import PassportDemoData
import PassportIngest
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

/// "Who was allowed to write what" replayed offline from an export, with PassportModel and
/// PassportAudit alone — the same rules the ledger applies at append and in verify.
@Suite("Governance replay")
struct GovernanceReplayTests {
    func export(_ ledger: Ledger) throws -> [Record] {
        var out: [Record] = []
        try ledger.forEachRecord { _, bytes in out.append(try Record(bytes: Array(bytes), requireCanonical: true)) }
        return out
    }

    @Test("a real log replays clean; a record no key in force could write is named")
    func replay() throws {
        let dir = TemporaryDirectory()
        let (ledger, data) = try Fixtures.demoStore(in: dir)
        var records = try export(ledger)
        #expect(GovernanceState.replay(records, ledgerKey: ledger.vkey) == nil)
        // Another trusted key: record 0 is refused.
        let stranger = try NoteSigner.generate(name: "stranger").verifier
        #expect(GovernanceState.replay(records, ledgerKey: stranger)?.index == 0)
        // A record forged by a source that does not own the field (ERP owns identity.lot, not PLM).
        let plm = try ledger.sourceSigner("plm-windchill")
        let last = try #require(records.last)
        let event = try Event(json: .object([
            "type": "item.registered", "subject": .string(data.items[0]), "source": "plm-windchill", "sourceRef": "FORGED-1",
            "createdAt": "2026-11-20T09:15:00.000000Z", "data": ["lot": "LOT-X"],
        ]))
        let forged = Record(
            index: last.index + 1, seq: 99, recordedAt: last.recordedAt, prev: nil, event: event,
            signature: EventSignature(key: plm.verifier.reference, sig: plm.key.sign(event.signatureInput)))
        records.append(forged)
        let problem = try #require(GovernanceState.replay(records, ledgerKey: ledger.vkey))
        #expect(problem.index == forged.index && problem.problem.code == .notPermitted)
        #expect(problem.problem.description.contains("does not own identity.lot"))
        // A signature that does not verify is named too.
        records[records.count - 1] = Record(
            index: forged.index, seq: 99, recordedAt: last.recordedAt, prev: nil, event: event,
            signature: EventSignature(key: plm.verifier.reference, sig: [UInt8](repeating: 1, count: 64)))
        #expect(GovernanceState.replay(records, ledgerKey: ledger.vkey)?.problem.code == .badSignature)
    }
}
