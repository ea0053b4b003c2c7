import Foundation
import LMDB
import PassportAudit
import PassportIngest
import PassportModel
import PassportTestSupport
import Sodium
import Testing
@testable import PassportLedger

/// The seam for exactly-once effect: a source position is durable exactly when the outcome of the
/// input that carried it is.
@Suite("Source positions")
struct SourcePositionTests {
    func submission(_ ledger: Ledger, _ ref: String, stream: String, offset: Int) throws -> Submission {
        var s = try Ingestor(ledger: ledger, mode: .unsigned(source: "plm", baseDirectory: nil))
            .submission(line: Array(CanonicalJSON.string(.object(Fixtures.eventJSON(sourceRef: ref))).utf8), origin: "\(stream):\(offset)")
        s.positions = [SourcePosition(stream: stream, value: Array(String(offset).utf8))]
        return s
    }

    @Test("the last position per stream is written with the records, kept across reopen, and not when the batch fails")
    func positions() throws {
        let dir = TemporaryDirectory()
        var options = Ledger.Options()
        options.storeFault = { if $0.sourceRef == "DISK" { throw LMDBError(code: EIO, operation: "put") } }
        let (ledger, _) = try Fixtures.store(in: dir, options: options)
        #expect(try ledger.sourcePosition("kafka/plm/0") == nil)
        let outcomes = try ledger.appendSync([
            try submission(ledger, "A", stream: "kafka/plm/0", offset: 10), try submission(ledger, "B", stream: "kafka/plm/1", offset: 3),
            try submission(ledger, "A", stream: "kafka/plm/0", offset: 11),  // a redelivery: duplicate, still consumed
        ])
        #expect(outcomes.map { $0.record != nil } == [true, true, true])
        #expect(try ledger.sourcePosition("kafka/plm/0") == Array("11".utf8))
        #expect(try ledger.sourcePosition("kafka/plm/1") == Array("3".utf8))
        // A rejected input is consumed too (it is in quarantine).
        var bad = try submission(ledger, "C", stream: "kafka/plm/1", offset: 4)
        bad.content = .failure(LedgerError(.malformedJSON, "not valid JSON"))
        _ = try ledger.appendSync([bad])
        #expect(try ledger.sourcePosition("kafka/plm/1") == Array("4".utf8))
        // A batch the store cannot commit moves no position.
        #expect(throws: LedgerError.self) { try ledger.appendSync([try submission(ledger, "D", stream: "kafka/plm/1", offset: 5), try submission(ledger, "DISK", stream: "kafka/plm/1", offset: 6)]) }
        #expect(try ledger.sourcePosition("kafka/plm/1") == Array("4".utf8))
        let reopened = try Ledger.open(at: dir.path("store"), readOnly: true)
        #expect(try reopened.sourcePosition("kafka/plm/0") == Array("11".utf8))
        // Listed by prefix, in stream order.
        try ledger.recordPositions([SourcePosition(stream: "debezium/orders/7", value: Array("{}".utf8)), SourcePosition(stream: "kafka/plx/0", value: [1])])
        #expect(try reopened.sourcePositions(prefix: "kafka/plm/").map(\.stream) == ["kafka/plm/0", "kafka/plm/1"])
        #expect(try reopened.sourcePositions(prefix: "kafka/plm/").map(\.value) == [Array("11".utf8), Array("4".utf8)])
        #expect(try reopened.sourcePositions(prefix: "kafka/").map(\.stream) == ["kafka/plm/0", "kafka/plm/1", "kafka/plx/0"])
        #expect(try reopened.sourcePositions().map(\.stream) == ["debezium/orders/7", "kafka/plm/0", "kafka/plm/1", "kafka/plx/0"])
        #expect(try reopened.sourcePositions(prefix: "kafka/plm/9").isEmpty)
    }

    @Test("a position written only when the event stands moves with appended and duplicate events, not with a rejected one")
    func appendedOnly() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        var ok = try submission(ledger, "A", stream: "row", offset: 1)
        ok.positions = [SourcePosition(stream: "row", value: [1], when: .appended)]
        var bad = try submission(ledger, "B", stream: "row", offset: 2)
        bad.content = .failure(LedgerError(.invalidEvent, "no"))
        bad.positions = [SourcePosition(stream: "row", value: [2], when: .appended)]
        _ = try ledger.appendSync([ok, bad])
        #expect(try ledger.sourcePosition("row") == [1])
        var again = try submission(ledger, "A", stream: "row", offset: 3)
        again.positions = [SourcePosition(stream: "row", value: [3], when: .appended)]
        #expect(try ledger.appendSync([again])[0].record != nil)  // a duplicate
        #expect(try ledger.sourcePosition("row") == [3])
    }
}

extension SourcePositionTests {
    @Test("positions of input that yielded no submission are written after the submissions' own, in the same transaction, and not at all when it fails")
    func positionsAlone() throws {
        let dir = TemporaryDirectory()
        var options = Ledger.Options()
        options.storeFault = { if $0.sourceRef == "DISK" { throw LMDBError(code: EIO, operation: "put") } }
        let (ledger, _) = try Fixtures.store(in: dir, options: options)
        let keys = try ledger.size()
        // A message at 7 became a record; the ones at 8 and 9 wrote nothing (say, tombstones).
        let outcomes = try ledger.appendSync(
            [try submission(ledger, "A", stream: "kafka/t/0", offset: 7)], positions: [SourcePosition(stream: "kafka/t/0", value: Array("9".utf8))])
        #expect(outcomes.count == 1 && outcomes[0].record != nil)
        #expect(try ledger.sourcePosition("kafka/t/0") == Array("9".utf8))
        // Positions alone, in a transaction of their own.
        try ledger.recordPositions([SourcePosition(stream: "kafka/t/1", value: [1]), SourcePosition(stream: "kafka/t/1", value: [2])])
        #expect(try ledger.sourcePosition("kafka/t/1") == [2])
        #expect(try ledger.size() == keys + 1)
        // A batch that cannot be committed writes neither its records nor the positions that came with it.
        #expect(throws: LedgerError.self) {
            try ledger.appendSync(
                [try submission(ledger, "DISK", stream: "kafka/t/0", offset: 10)], positions: [SourcePosition(stream: "kafka/t/1", value: [3])])
        }
        #expect(try ledger.sourcePosition("kafka/t/0") == Array("9".utf8))
        #expect(try ledger.sourcePosition("kafka/t/1") == [2])
        #expect(try ledger.size() == keys + 1)
    }
}

/// Events the ledger signs for an ingest layer are not verified again; that rests on the key file
/// holding the registered key, which is checked.
@Suite("Source signing")
struct SourceSigningTests {
    @Test("a key file that does not hold the registered key is refused; events signed here verify")
    func keyFileMustMatch() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        let signing = try ledger.sourceSigning("plm")
        let event = try Event(json: .object(Fixtures.eventJSON(sourceRef: "S-1").merging(["createdAt": "2026-11-20T09:15:00.000000Z"])))
        let s = signing.submission(signing: event, raw: [], origin: "t", intake: ["connector": "test"])
        #expect(try ledger.appendSync([s])[0].record != nil)
        #expect(try ledger.verify().isIntact)
        // Another key under the same name in the key file.
        let file = ledger.keyFiles.url(for: signers["plm"]!.verifier.reference)
        let impostor = try NoteSigner.generate(name: "plm")
        try Data(impostor.secretBytes() + [0x0A]).write(to: file)
        #expect(throws: LedgerError.self) { try ledger.sourceSigning("plm") }
    }

    @Test("a checked submission whose event or attachments are changed afterwards is checked again: a forged signature is refused")
    func checksBindToContent() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        let signing = try ledger.sourceSigning("plm")
        let event = try Event(json: .object(Fixtures.eventJSON(sourceRef: "S-2").merging(["createdAt": "2026-11-20T09:15:00.000000Z"])))
        var s = signing.submission(signing: event, raw: [], origin: "t", intake: ["connector": "test"])
        // The same signature over another event: the ledger's earlier check must not vouch for it.
        guard case .success(let signed) = s.content else { Issue.record("not signed"); return }
        let other = try Event(json: .object(Fixtures.eventJSON(sourceRef: "S-3").merging(["createdAt": "2026-11-20T09:15:00.000000Z"])))
        s.content = .success(SignedEvent(event: other, signature: signed.signature))
        let outcome = try ledger.appendSync([s])[0]
        #expect(outcome.record == nil, "\(outcome)")
        #expect("\(outcome)".contains("signature"), "\(outcome)")
        // Attachments changed after the check are hashed again: bytes that do not match the event's SHA-256 are not stored.
        let blob = Array("certificate".utf8)
        var withBlob = Fixtures.eventJSON(sourceRef: "S-4").merging(["createdAt": "2026-11-20T09:15:00.000000Z"])
        withBlob["attachments"] = [["sha256": .string(Hex.encode(SHA256.hash(blob))), "mediaType": "application/pdf", "name": "c.pdf"]]
        var b = signing.submission(signing: try Event(json: .object(withBlob)), raw: [], origin: "t", intake: ["connector": "test"], blobs: [blob])
        b.blobs = [Array("forged".utf8)]
        let stored = try ledger.appendSync([b])[0]
        #expect(stored.record == nil, "\(stored)")
        #expect(try ledger.verify().isIntact)
    }
}

extension JSONObject {
    func merging(_ other: JSONObject) -> JSONObject {
        var o = self
        for (k, v) in other { o[k] = v }
        return o
    }
}
