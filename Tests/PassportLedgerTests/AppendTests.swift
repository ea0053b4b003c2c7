import Foundation
import PassportAudit
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

@Suite("Append path")
struct AppendTests {
    @Test func appendsAssignsSeqAndChainsAndVerifies() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        let plm = signers["plm"]!
        let subs = try (1...5).map { i in
            Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "ECN-\(i)"), with: plm))
        }
        let out = try ledger.appendSync(subs)
        // Record 0 registers the ledger key, 1 sets the default ownership policy, 2 registers the plm key.
        #expect(out.map(\.record?.index) == [3, 4, 5, 6, 7])
        #expect(out.map(\.record?.seq) == [1, 2, 3, 4, 5])
        let history = try ledger.history(try Subject(Fixtures.model))
        #expect(history.count == 5)
        #expect(try ledger.hasRecords(try Subject(Fixtures.model)))
        #expect(try !ledger.hasRecords(try Subject("01/09506000134369")))
        #expect(history[0].prev == nil)
        #expect(history[1].prev == Merkle.leafHash(history[0].canonicalBytes))
        #expect(zip(history, history.dropFirst()).allSatisfy { $0.recordedAt <= $1.recordedAt })
        let report = try ledger.verify()
        #expect(report.isIntact, "\(String(describing: report.problem))")
        #expect(report.records == 8)
        // The latest checkpoint verifies and commits to every record.
        let cp = try Checkpoint.open(try ledger.latestCheckpoint(), logKey: ledger.vkey, origin: ledger.origin)
        #expect(cp.size == 8)
        let bundle = try ledger.proofBundle(index: 5)
        let verified = try RecordAudit.verify(recordBytes: try ledger.recordBytes(5), bundle: bundle, ledgerKey: ledger.vkey, sourceKeys: [plm.verifier])
        #expect(verified.eventSignatureChecked)
        #expect(verified.record.event.sourceRef == "ECN-3")
    }
}
