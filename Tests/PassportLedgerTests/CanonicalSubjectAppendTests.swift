import PassportIngest
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

/// Non-canonical spellings of a GS1 key never reach the log, wherever they appear in an event.
@Suite("Canonical subjects at append")
struct CanonicalSubjectAppendTests {
    func rejection(_ ledger: Ledger, _ event: JSONObject) throws -> LedgerError {
        let line = CanonicalJSON.string(.object(event))
        let s = try Ingestor(ledger: ledger, mode: .unsigned(source: "erp", baseDirectory: nil)).submission(line: Array(line.utf8), origin: "in:1")
        let before = try ledger.size()
        guard case .rejected(let e, _) = try ledger.appendSync([s])[0] else {
            Issue.record("expected a rejection")
            return LedgerError(.invalidEvent, "")
        }
        #expect(try ledger.size() == before)
        return e
    }

    @Test func nonCanonicalSubjectsInTheEventAndItsDataAreRejectedNamingTheField() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["erp"])
        let batch = "01/\(Fixtures.gtin)/10/"
        let input: JSONObject = ["inputs": [["subject": .string(batch + "L%2f1"), "quantity": 1]]]
        var e = try rejection(ledger, Fixtures.eventJSON(type: "batch.transformed", subject: batch + "OUT", source: "erp", sourceRef: "T-1", data: input))
        #expect(e.code == .invalidEvent)
        #expect(e.message.contains("data.inputs[0].subject"), "\(e.message)")
        #expect(e.message.contains("write \(batch)L%2F1"), "\(e.message)")

        e = try rejection(ledger, Fixtures.eventJSON(type: "batch.transformed", subject: batch + "%4FUT", source: "erp", sourceRef: "T-2",
            data: ["inputs": [["subject": .string(batch + "L%2F1"), "quantity": 1]]]))
        #expect(e.message.contains("subject"), "\(e.message)")
        #expect(e.message.contains("write \(batch)OUT"), "\(e.message)")

        e = try rejection(ledger, Fixtures.eventJSON(type: "batch.transformed", subject: batch + "OUT", source: "erp", sourceRef: "T-3",
            data: ["inputs": [["subject": .string(batch + "L%2F1"), "quantity": 1]]],
            extra: ["refs": [["rel": "input", "subject": .string(batch + "L?1")]]]))
        #expect(e.message.contains("refs[0].subject"), "\(e.message)")
        #expect(e.message.contains("write \(batch)L%3F1"), "\(e.message)")

        e = try rejection(ledger, Fixtures.eventJSON(type: "item.registered", subject: "01/\(Fixtures.gtin)/21/S1", source: "erp", sourceRef: "I-1",
            data: ["lot": "L 1"]))
        #expect(e.message.contains("data.lot"), "\(e.message)")
        #expect(e.message.contains("character set 82"), "\(e.message)")

        // The canonical spellings are accepted.
        let ok = try Ingestor(ledger: ledger, mode: .unsigned(source: "erp", baseDirectory: nil)).submission(
            line: Array(CanonicalJSON.string(.object(Fixtures.eventJSON(type: "batch.transformed", subject: batch + "OUT", source: "erp",
                sourceRef: "T-4", data: ["inputs": [["subject": .string(batch + "L%2F1"), "quantity": 1]]]))).utf8), origin: "in:2")
        guard case .appended = try ledger.appendSync([ok])[0] else {
            Issue.record("the canonical event was not appended")
            return
        }
    }

    @Test("a createdAt that lands past year 9999 in UTC is refused quoting what the user wrote")
    func createdAtPastYear9999() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["plm"])
        let line = CanonicalJSON.string(.object(Fixtures.eventJSON(sourceRef: "ECN-9", createdAt: "9999-12-31T23:00:00-05:00")))
        let s = try Ingestor(ledger: ledger, mode: .unsigned(source: "plm", baseDirectory: nil)).submission(line: Array(line.utf8), origin: "in:1")
        guard case .failure(let e) = s.content else {
            Issue.record("expected the submission to be invalid")
            return
        }
        #expect(e.message.contains("createdAt"), "\(e.message)")
        #expect(e.message.contains("9999-12-31T23:00:00-05:00"), "\(e.message)")
        #expect(e.message.contains("out of range"), "\(e.message)")
        #expect(!e.message.contains("10000"), "\(e.message)")
    }
}
