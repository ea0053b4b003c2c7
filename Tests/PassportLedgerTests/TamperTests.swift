import Foundation
import LMDB
import PassportAudit
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

/// `verify` must catch any edit of the stored bytes and name where it is.
@Suite("Tamper detection")
struct TamperTests {
    /// Builds a store with a few subjects, an attachment and several commits; returns its folder.
    func buildStore(_ dir: TemporaryDirectory) throws -> (attachment: String, size: UInt64) {
        let (ledger, signers) = try Fixtures.store(in: dir)
        let plm = signers["plm"]!
        let bytes = Array("supplier declaration PDF bytes".utf8)
        let sha = try ledger.putBlob(bytes)
        for i in 0..<10 {
            var extra: JSONObject = [:]
            if i == 4 { extra["attachments"] = [["sha256": .string(sha), "mediaType": "application/pdf", "name": "decl.pdf"]] }
            let subject = i % 2 == 0 ? Fixtures.model : "01/\(Fixtures.gtin)/10/LOT\(i % 3)"
            _ = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(subject: subject, sourceRef: "T\(i)", extra: extra), with: plm))])
        }
        #expect(try ledger.verify().isIntact)
        return (sha, try ledger.size())
    }

    /// Edits the store's LMDB directly (as an attacker with file access would), then verifies.
    func tamper(_ dir: TemporaryDirectory, _ edit: (Transaction) throws -> Void) throws -> VerifyReport {
        do {
            let env = try Environment(path: dir.path("store/ledger").path)
            try env.write { txn in try edit(txn) }
        }
        return try Ledger.open(at: dir.path("store")).verify()
    }

    @Test func editedRecordBytes() throws {
        let dir = TemporaryDirectory()
        _ = try buildStore(dir)
        let report = try tamper(dir) { txn in
            let db = try txn.openDatabase("records", create: false)
            var bytes = try #require(try txn.get(Keys.u64(6), in: db))
            let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"revision\":\"A\"", with: "\"revision\":\"B\"")
            bytes = Array(text.utf8)
            try txn.put(Keys.u64(6), bytes, in: db)
        }
        #expect(report.problem?.index == 6)
        #expect(report.problem?.reason.contains("signature does not verify") == true, "\(String(describing: report.problem))")
    }

    @Test func nonCanonicalRecordBytes() throws {
        let dir = TemporaryDirectory()
        _ = try buildStore(dir)
        let report = try tamper(dir) { txn in
            let db = try txn.openDatabase("records", create: false)
            let bytes = try #require(try txn.get(Keys.u64(3), in: db))
            try txn.put(Keys.u64(3), Array(" ".utf8) + bytes, in: db)
        }
        #expect(report.problem?.index == 3)
        #expect(report.problem?.reason.contains("canonical") == true, "\(String(describing: report.problem))")
    }

    @Test func editedMerkleNode() throws {
        let dir = TemporaryDirectory()
        _ = try buildStore(dir)
        let report = try tamper(dir) { txn in
            let db = try txn.openDatabase("nodes", create: false)
            try txn.put(Keys.node(level: 2, index: 1), [UInt8](repeating: 0xAB, count: 32), in: db)
        }
        #expect(report.problem?.index == 7)  // the record that completes subtree (level 2, index 1) = leaves 4…7
        #expect(report.problem?.reason.contains("Merkle node at level 2, index 1") == true, "\(String(describing: report.problem))")
    }

    @Test func editedCheckpoint() throws {
        let dir = TemporaryDirectory()
        let (_, size) = try buildStore(dir)
        let report = try tamper(dir) { txn in
            let db = try txn.openDatabase("checkpoints", create: false)
            let note = String(decoding: try #require(try txn.get(Keys.u64(size), in: db)), as: UTF8.self)
            let lines = note.split(separator: "\n", omittingEmptySubsequences: false)
            let forged = ([lines[0], Substring(String(size)), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="] + lines[3...]).joined(separator: "\n")
            try txn.put(Keys.u64(size), Array(forged.utf8), in: db)
        }
        #expect(report.problem?.reason.contains("checkpoint at size \(size) does not verify") == true, "\(String(describing: report.problem))")
    }

    @Test func editedAttachment() throws {
        let dir = TemporaryDirectory()
        let (sha, _) = try buildStore(dir)
        let report = try tamper(dir) { txn in
            let db = try txn.openDatabase("blobs", create: false)
            try txn.put(Hex.decode(sha)!, Array("forged declaration".utf8), in: db)
        }
        #expect(report.problem?.index == 7)
        #expect(report.problem?.reason.contains("decl.pdf does not match its SHA-256") == true, "\(String(describing: report.problem))")
    }

    @Test func deletedRecordAndRewrittenKeyTable() throws {
        let dir = TemporaryDirectory()
        _ = try buildStore(dir)
        let gap = try tamper(dir) { txn in
            let db = try txn.openDatabase("records", create: false)
            try txn.delete(Keys.u64(5), in: db)
        }
        #expect(gap.problem?.index == 5)
        #expect(gap.problem?.reason.contains("record 5 is missing") == true)
        let dir2 = TemporaryDirectory()
        _ = try buildStore(dir2)
        let keys = try tamper(dir2) { txn in
            let db = try txn.openDatabase("keys", create: false)
            let stranger = try NoteSigner.generate(name: "intruder")
            let entry = KeyEntry(vkey: stranger.verifier, role: "source", registeredIndex: 1, validFrom: nil, validUntil: nil)
            try txn.put(Array(stranger.verifier.reference.utf8), CanonicalJSON.encode(entry.json), in: db)
        }
        #expect(keys.problem?.reason.contains("key table") == true, "\(String(describing: keys.problem))")
    }

    @Test("a doctored passport index is caught, and reindex repairs it")
    func editedPassportIndex() throws {
        let dir = TemporaryDirectory()
        _ = try buildStore(dir)
        // Make an older BoM's validFrom later than the newest one, so that it would win.
        let report = try tamper(dir) { txn in
            let db = try txn.openDatabase("facts", create: false)
            let prefix = Array(Fixtures.model.utf8) + [0]
            let key = try txn.withCursor(db) { c in try c.move(.atOrAfter(prefix)) { k, _ in [UInt8](k) } }!
            var value = try #require(try txn.get(key, in: db))
            let later = FactIndex.i64(Timestamp(microsecondsSinceEpoch: 4_000_000_000_000_000).microseconds)
            value.replaceSubrange(8..<16, with: later)
            try txn.put(key, value, in: db)
        }
        #expect(report.problem?.reason.contains("passport index entry for composition.billOfMaterials does not match") == true, "\(String(describing: report.problem))")
        let ledger = try Ledger.open(at: dir.path("store"))
        try ledger.reindex()
        #expect(try ledger.verify().isIntact)
    }

    @Test("a damaged index value gives an error naming the problem, not a crash")
    func damagedIndexValue() throws {
        let dir = TemporaryDirectory()
        _ = try buildStore(dir)
        let report = try tamper(dir) { txn in
            let db = try txn.openDatabase("subjects", create: false)
            try txn.put(Keys.subject(Fixtures.model, 1), [1, 2, 3], in: db)
        }
        #expect(report.problem?.reason.contains("the subject index does not point to this record") == true, "\(String(describing: report.problem))")
        let ledger = try Ledger.open(at: dir.path("store"))
        #expect(throws: LedgerError.self) { try ledger.history(try Subject(Fixtures.model)) }
    }

    @Test("a garbled passport index entry gives an error, not a crash")
    func garbledPassportIndex() throws {
        let dir = TemporaryDirectory()
        _ = try buildStore(dir)
        _ = try tamper(dir) { txn in
            let db = try txn.openDatabase("facts", create: false)
            try txn.put(Array(Fixtures.model.utf8) + [0, 0xFF], [1, 2, 3], in: db)
        }
        let ledger = try Ledger.open(at: dir.path("store"))
        let e = #expect(throws: LedgerError.self) { try ledger.passport(try Subject(Fixtures.model)) }
        #expect(e?.message.contains("rebuild it with dpp reindex") == true)
        try ledger.reindex()
        #expect(try ledger.passport(try Subject(Fixtures.model)).entry("composition.billOfMaterials") != nil)
    }
}
