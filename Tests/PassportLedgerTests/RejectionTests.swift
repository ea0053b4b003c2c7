import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PassportAudit
import PassportIngest
import PassportModel
import PassportTestSupport
import Sodium
import Testing
@testable import PassportLedger

/// Every rejection names what is wrong, writes nothing to the log, and keeps the input in quarantine.
@Suite("Rejections")
struct RejectionTests {
    /// Appends one submission and checks it was rejected with `code`, that the log did not grow,
    /// and that the raw input is in quarantine.
    func expectRejected(
        _ ledger: Ledger, _ submission: Submission, code: LedgerError.Code, containing text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try ledger.size()
        let outcome = try ledger.appendSync([submission])[0]
        guard case .rejected(let error, let qid) = outcome else {
            Issue.record("expected a rejection, got \(outcome)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.code == code, sourceLocation: sourceLocation)
        #expect(error.message.contains(text), "message was: \(error.message)", sourceLocation: sourceLocation)
        #expect(try ledger.size() == before, "the log grew", sourceLocation: sourceLocation)
        let entry = try ledger.quarantineEntry(id: try #require(qid))
        #expect(entry.raw == submission.raw, sourceLocation: sourceLocation)
        #expect(entry.status == .open, sourceLocation: sourceLocation)
        #expect(entry.code == code.rawValue, sourceLocation: sourceLocation)
        #expect(try ledger.verify().isIntact, sourceLocation: sourceLocation)
    }

    func unsigned(_ ledger: Ledger, _ line: String, source: String = "plm") throws -> Submission {
        try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: nil)).submission(line: Array(line.utf8), origin: "in:1")
    }

    @Test func malformedJSON() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        try expectRejected(ledger, try unsigned(ledger, #"{"type": "bom.released", "#), code: .malformedJSON, containing: "not valid JSON")
        try expectRejected(ledger, try unsigned(ledger, #"{"a":1,"a":2}"#), code: .malformedJSON, containing: "duplicate member name")
    }

    @Test func missingMistypedAndUnknownFieldsAreAllListed() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        let line = #"{"type":"Bom Released","subject":"01/09506000134353","sourceRef":7,"data":[],"colour":"red"}"#
        let s = try unsigned(ledger, line)
        guard case .failure(let e) = s.content else {
            Issue.record("expected invalid")
            return
        }
        let text = e.message
        for part in ["colour: unknown field", "type: must be lowercase dotted words", "check digit 3, expected 2",
            "sourceRef: must be a string, not number", "createdAt: is required", "data: must be an object, not array"]
        {
            #expect(text.contains(part), "missing \(part) in \(text)")
        }
        try expectRejected(ledger, s, code: .invalidEvent, containing: "colour: unknown field")
    }

    @Test func badTimestamps() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        try expectRejected(
            ledger, try unsigned(ledger, #"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"x","createdAt":"2026-02-30T10:00:00Z","data":{}}"#),
            code: .invalidEvent, containing: "day 30 does not exist in 2026-02")
        try expectRejected(
            ledger, try unsigned(ledger, #"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"y","createdAt":"yesterday","data":{}}"#),
            code: .invalidEvent, containing: "createdAt")
        // Signed events must carry the canonical form exactly.
        var json = Fixtures.eventJSON(sourceRef: "z")
        json["createdAt"] = "2026-11-20T09:15:00Z"
        #expect(throws: PassportModel.ValidationError.self) { try Fixtures.sign(json, with: signers["plm"]!) }
        json["createdAt"] = "2026-11-20T09:15:00.000000Z"
        json["validFrom"] = "2027-01-01T00:00:00.000000Z"
        json["validUntil"] = "2026-01-01T00:00:00.000000Z"
        let err = #expect(throws: PassportModel.ValidationError.self) { try Fixtures.sign(json, with: signers["plm"]!) }
        #expect(err?.description.contains("validUntil: must be later than validFrom") == true)
    }

    @Test func oversizedEvent() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        let signed = try Fixtures.sign(Fixtures.eventJSON(sourceRef: "BIG", data: Fixtures.bigBom(bytes: 70_000)), with: signers["plm"]!)
        try expectRejected(ledger, Fixtures.submission(signed), code: .tooLarge, containing: "limit is 65535")
    }

    @Test("a record of exactly 65,535 canonical bytes is accepted, one of 65,536 is not (C2SP entry bundle: 16-bit length)")
    func recordSizeBoundary() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        // Lines whose description pads the record; a line costs its canonical bytes plus a comma.
        func line(_ n: Int) -> JSONValue {
            ["part": "PAD", "description": .string(String(repeating: "p", count: n)), "quantity": 1, "massKg": 0.1, "material": "steel"]
        }
        func cost(_ n: Int) -> Int { CanonicalJSON.encode(line(n)).count + 1 }
        /// Descriptions (1–1024 characters each) whose lines add exactly `bytes` to a record.
        func pads(adding bytes: Int) -> [Int] {
            var out: [Int] = []
            var left = bytes
            while left > 0 {
                // Leave room for a last line of at least one character.
                let n = left - cost(0) <= 1024 ? left - cost(0) : min(1024, left - cost(0) - cost(1))
                out.append(n)
                left -= cost(n)
            }
            return out
        }
        func event(_ ref: String, pads: [Int]) throws -> Submission {
            var bom = Fixtures.bom
            bom["lines"] = .array(bom["lines"]!.arrayValue! + pads.map(line))
            return Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: ref, data: bom), with: signers["plm"]!))
        }
        func appendedSize(_ s: Submission) throws -> Int {
            guard case .appended(let r) = try ledger.appendSync([s])[0] else {
                Issue.record("expected appended")
                return 0
            }
            return try ledger.recordBytes(r.index).count
        }
        // Records 1 and 2 of the subject: the second has `prev`, as every later one does.
        _ = try appendedSize(try event("SZ-1", pads: [1]))
        let probe = try appendedSize(try event("SZ-2", pads: [1]))
        let exact = [1] + pads(adding: Record.maxCanonicalSize - probe)
        #expect(try appendedSize(try event("SZ-3", pads: exact)) == 65_535)
        let over = [2] + exact.dropFirst()
        try expectRejected(ledger, try event("SZ-4", pads: over), code: .tooLarge, containing: "the record would be 65536 bytes; the limit is 65535")
    }

    @Test func hugeLineRefusedUnparsedAndKept() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        let line = #"{"type":"bom.released","data":{"notes":""# + String(repeating: "x", count: 2 << 20) + #""}}"#
        try expectRejected(ledger, try unsigned(ledger, line), code: .tooLarge, containing: "the line is 2097")
    }

    @Test func unknownKeyForgedSignatureAndWrongSource() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir, sources: ["plm", "erp"])
        let stranger = try NoteSigner.generate(name: "plm")
        try expectRejected(
            ledger, Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "S1"), with: stranger)),
            code: .unknownKey, containing: "is not registered")
        // Forged: a valid signature over other content.
        let good = try Fixtures.sign(Fixtures.eventJSON(sourceRef: "S2"), with: signers["plm"]!)
        var changed = Fixtures.bom
        changed["revision"] = "Z"
        let tampered = try Event(json: .object(Fixtures.eventJSON(sourceRef: "S2", data: changed)))
        try expectRejected(
            ledger, Fixtures.submission(SignedEvent(event: tampered, signature: good.signature)),
            code: .badSignature, containing: "does not verify")
        // The ERP key may not sign events that claim to come from PLM.
        try expectRejected(
            ledger, Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(source: "plm", sourceRef: "S3"), with: signers["erp"]!)),
            code: .notPermitted, containing: "does not match the signing key")
        // A source key may not write the system subject.
        try expectRejected(
            ledger,
            Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(type: "key.revoked", subject: "system", sourceRef: "S4"), with: signers["plm"]!)),
            code: .notPermitted, containing: "only the ledger key may write the system subject")
    }

    @Test func revokedKeyRejectsLaterEventsAndKeepsEarlierOnesValid() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        let plm = signers["plm"]!
        let first = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "R1"), with: plm))])
        #expect(first[0].record != nil)
        try ledger.revokeKey("plm", reason: "laptop stolen")
        try expectRejected(
            ledger, Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "R2"), with: plm)),
            code: .revokedKey, containing: "was revoked at record")
        #expect(try ledger.keys().first { $0.vkey.name == "plm" }?.isActive == false)
        // A new key for the same source works; the old record still verifies.
        try ledger.addKey(name: "plm")
        let again = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "R2"), with: try ledger.sourceSigner("plm")))])
        #expect(again[0].record?.seq == 2)
        #expect(try ledger.verify().isIntact)
    }

    @Test func keyOutsideItsValidityWindow() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: [])
        try ledger.addKey(name: "old", validUntil: try Timestamp(rfc3339: "2020-01-01T00:00:00Z"))
        try expectRejected(
            ledger, Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(source: "old", sourceRef: "V1"), with: try ledger.sourceSigner("old"))),
            code: .keyNotValid, containing: "expired at 2020-01-01T00:00:00.000000Z")
    }

    @Test func idempotencyDuplicateAndConflict() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        let plm = signers["plm"]!
        let event = Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "ECN-1"), with: plm))
        let first = try ledger.appendSync([event])[0]
        let size = try ledger.size()
        let second = try ledger.appendSync([event])[0]
        #expect(second == .duplicate(first.record!))
        #expect(try ledger.size() == size)
        try expectRejected(
            ledger, Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "ECN-1", data: ["revision": "C", "lifecycle": "released", "lines": Fixtures.bom["lines"]!]), with: plm)),
            code: .idempotencyConflict, containing: "already used sourceRef \"ECN-1\"")
    }

    @Test func expectedSeqOptimisticConcurrency() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        let plm = signers["plm"]!
        let ok = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "E1", extra: ["expectedSeq": 1]), with: plm))])
        #expect(ok[0].record?.seq == 1)
        try expectRejected(
            ledger, Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "E2", extra: ["expectedSeq": 1]), with: plm)),
            code: .seqConflict, containing: "expectedSeq is 1 but 01/09506000134352's next seq is 2")
    }

    @Test func missingAttachmentThenUploaded() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir, sources: ["supplier-portal"])
        let bytes = Array("CMRT 6.4 declaration".utf8)
        let sha = Hex.encode(SHA256.hash(bytes))
        let json = Fixtures.eventJSON(
            type: "declaration.recorded", subject: "supplier/ACME", source: "supplier-portal", sourceRef: "CMRT-1", data: ["kind": "conflict-minerals", "scope": "tin"],
            extra: ["attachments": [["sha256": .string(sha), "mediaType": "text/plain", "name": "cmrt.txt"]],
                "validFrom": "2026-01-01T00:00:00.000000Z", "validUntil": "2027-01-01T00:00:00.000000Z"])
        let submission = Fixtures.submission(try Fixtures.sign(json, with: signers["supplier-portal"]!))
        try expectRejected(ledger, submission, code: .missingAttachment, containing: "upload it with dpp blob put")
        #expect(try ledger.putBlob(bytes) == sha)
        #expect(try ledger.appendSync([submission])[0].record != nil)
        #expect(try ledger.blob(sha256: sha) == bytes)
        #expect(try ledger.verify().attachments == 1)
    }

    @Test func notAStore() throws {
        let dir = TemporaryDirectory()
        let e = #expect(throws: LedgerError.self) { try Ledger.open(at: dir.url) }
        #expect(e?.code == .notAStore)
        #expect(e?.message.contains("is not a Passport Ledger store") == true)
        _ = try Ledger.create(at: dir.path("s"), origin: "o.example")
        let e2 = #expect(throws: LedgerError.self) { try Ledger.create(at: dir.path("s"), origin: "o.example") }
        #expect(e2?.code == .alreadyExists)
    }

    @Test("a full LMDB map fails cleanly, keeps the store intact, and works once the limit is raised")
    func mapFull() throws {
        let dir = TemporaryDirectory()
        let small = Ledger.Options(initialMapSize: 1 << 20, maxMapSize: 2 << 20)
        var signer: NoteSigner
        do {
            let (ledger, signers) = try Fixtures.store(in: dir, options: small)
            signer = signers["plm"]!
            let (appended, failure) = try fillUntilFailure(ledger, signer, limit: 200)
            let e = try #require(failure)
            #expect(e.code == .storeFull)
            #expect(e.message.contains("nothing from this batch was written"))
            #expect(appended > 10)
            let report = try ledger.verify()
            #expect(report.isIntact)
            #expect(report.records == UInt64(appended) + 3)
        }
        // Reopen with room to grow: appends succeed, and the map grows on demand.
        let ledger = try Ledger.open(at: dir.path("store"), options: .init(initialMapSize: 1 << 20, maxMapSize: 1 << 30))
        for i in 0..<100 {
            let s = Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "G\(i)", data: Fixtures.bigBom(bytes: 30_000, tag: "G\(i)")), with: signer))
            #expect(try ledger.appendSync([s])[0].record != nil)
        }
        #expect(try ledger.verify().isIntact)
    }

    /// Appends ~30 KiB events one commit at a time until a commit fails (or `limit` is reached).
    func fillUntilFailure(_ ledger: Ledger, _ signer: NoteSigner, limit: Int) throws -> (appended: Int, failure: LedgerError?) {
        for i in 0..<limit {
            let s = Fixtures.submission(try Fixtures.sign(
                Fixtures.eventJSON(sourceRef: "FILL-\(i)", data: Fixtures.bigBom(bytes: 30_000, tag: "\(i)")), with: signer))
            do {
                _ = try ledger.appendSync([s])
            } catch let e as LedgerError {
                return (i, e)
            }
        }
        return (limit, nil)
    }

    /// True where this process may mount a small tmpfs (root, as in CI) to play a full disk.
    static let canMountTmpfs: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("dpp-mount-probe-\(getpid())")
        try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        guard (try? CLI.runProcess(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.path]))?.status == 0 else { return false }
        _ = try? CLI.runProcess(URL(fileURLWithPath: "/bin/umount"), [probe.path])
        return true
    }()

    @Test("a full disk fails the batch cleanly: nothing half-written, the store stays intact", .enabled(if: canMountTmpfs))
    func fullDisk() throws {
        let dir = TemporaryDirectory()
        let mountPoint = dir.path("disk")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        #expect(try CLI.runProcess(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.path]).status == 0)
        defer { _ = try? CLI.runProcess(URL(fileURLWithPath: "/bin/umount"), ["-l", mountPoint.path]) }
        let (appended, failure): (Int, LedgerError?) = try {
            let ledger = try Ledger.create(at: mountPoint.appendingPathComponent("store"), origin: "disk.example/log")
            try ledger.addKey(name: "plm")
            return try fillUntilFailure(ledger, try ledger.sourceSigner("plm"), limit: 400)
        }()
        let e = try #require(failure, "the 4 MiB disk never filled")
        #expect(e.code == .io)
        #expect(e.message.contains("is full"), "\(e.message)")
        #expect(e.message.contains("nothing from this batch was written"))
        #expect(appended > 10)
        let reopened = try Ledger.open(at: mountPoint.appendingPathComponent("store"), readOnly: true)
        let report = try reopened.verify()
        #expect(report.isIntact, "\(String(describing: report.problem))")
        #expect(report.records == UInt64(appended) + 3)
    }
}
