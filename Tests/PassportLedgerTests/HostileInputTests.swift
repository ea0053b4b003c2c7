import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LMDB
import PassportAudit
import PassportDemoData
import PassportIngest
import PassportModel
import PassportTestSupport
import Sodium
import Testing
@testable import PassportLedger

/// Input written by an attacker or a careless operator: every case is a clean rejection of that
/// event alone, kept in quarantine; the rest of its batch commits, and the store verifies.
@Suite("Hostile input")
struct HostileInputTests {
    /// A store with one key per source kind, and an input folder beside it.
    final class Setup: @unchecked Sendable {
        // @unchecked: test-local, used from one task.
        let dir = TemporaryDirectory()
        let ledger: Ledger
        let input: URL

        init(options: Ledger.Options = .init()) throws {
            ledger = try Ledger.create(at: dir.path("store"), origin: "test.example/passports", options: options)
            for kind in ["plm", "erp", "wms", "qa", "supplier"] { try ledger.addKey(name: kind, kind: kind) }
            input = dir.path("in")
            try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        }

        /// Appends JSON Lines signed by `source`, attachments confined to `base` (default: the input folder).
        func append(_ lines: [String], source: String = "plm", base: String?? = .none) throws -> [AppendOutcome] {
            let folder: String? = base ?? input.path
            let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: folder))
            return try ledger.appendSync(ingestor.submissions(from: Array(lines.joined(separator: "\n").utf8), name: "in.jsonl"))
        }
    }

    static func line(_ o: JSONObject) -> String { CanonicalJSON.string(.object(o)) }

    static func bom(_ ref: String) -> String { line(Fixtures.eventJSON(sourceRef: ref)) }

    static func declaration(_ ref: String, attachment path: String) -> String {
        line(Fixtures.eventJSON(
            type: "declaration.recorded", subject: "supplier/ACME", source: "supplier", sourceRef: ref,
            data: ["kind": "conflict-minerals", "scope": "tin"],
            extra: ["validFrom": "2026-01-01T00:00:00Z", "validUntil": "2027-01-01T00:00:00Z", "attachments": [["path": .string(path)]]]))
    }

    /// Checks outcome `i` is a rejection with `code` whose message contains `text`, kept in quarantine.
    static func expectRejected(
        _ ledger: Ledger, _ outcome: AppendOutcome, _ code: LedgerError.Code, _ text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        guard case .rejected(let e, let qid) = outcome else {
            Issue.record("expected a rejection (\(code)), got \(outcome)", sourceLocation: sourceLocation)
            return
        }
        #expect(e.code == code, "\(e.message)", sourceLocation: sourceLocation)
        #expect(e.message.contains(text), "message was: \(e.message)", sourceLocation: sourceLocation)
        let entry = try ledger.quarantineEntry(id: try #require(qid, sourceLocation: sourceLocation))
        #expect(entry.status == .open && entry.code == code.rawValue, sourceLocation: sourceLocation)
    }

    static func expectAppended(_ outcome: AppendOutcome, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .appended = outcome else {
            Issue.record("expected appended, got \(outcome)", sourceLocation: sourceLocation)
            return
        }
    }

    // MARK: - Attachments

    @Test("attachment paths cannot leave their folder, read the store, or reveal whether a file exists")
    func attachmentPathEscapes() throws {
        let s = try Setup(options: .init(maxAttachmentSize: 1024))
        let fm = FileManager.default
        let secret = Array("the secret next door\n".utf8)
        try Data(secret).write(to: s.dir.path("outside.txt"))
        try Data("Smelter,Metal\nCID001,Tin\n".utf8).write(to: s.input.appendingPathComponent("ok.csv"))
        try fm.createSymbolicLink(atPath: s.input.appendingPathComponent("link-out").path, withDestinationPath: s.dir.path("outside.txt").path)
        try fm.createSymbolicLink(atPath: s.input.appendingPathComponent("link-missing").path, withDestinationPath: s.dir.path("nothing.txt").path)
        let keyFile = try #require(try fm.contentsOfDirectory(atPath: s.dir.path("store/keys").path).first)
        try fm.createSymbolicLink(
            atPath: s.input.appendingPathComponent("link-key").path, withDestinationPath: s.dir.path("store/keys/\(keyFile)").path)
        #expect(mkfifo(s.input.appendingPathComponent("fifo").path, 0o600) == 0)
        try fm.createDirectory(at: s.input.appendingPathComponent("folder"), withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 1025).write(to: s.input.appendingPathComponent("big.bin"))

        let cases: [(path: String, code: LedgerError.Code, text: String)] = [
            ("/etc/passwd", .invalidEvent, "absolute paths are not allowed"),
            (s.dir.path("outside.txt").path, .invalidEvent, "absolute paths are not allowed"),
            ("../outside.txt", .invalidEvent, "'..' is not allowed"),
            ("sub/../../outside.txt", .invalidEvent, "'..' is not allowed"),
            ("link-out", .invalidEvent, AttachmentFolder.notInside),
            ("link-missing", .invalidEvent, AttachmentFolder.notInside),
            ("missing.pdf", .invalidEvent, AttachmentFolder.notInside),
            ("link-key", .invalidEvent, AttachmentFolder.notInside),
            ("fifo", .invalidEvent, "is not a regular file"),
            ("folder", .invalidEvent, "is not a regular file"),
            ("big.bin", .invalidEvent, "the attachment limit is 1024"),
        ]
        var lines = [Self.bom("BOM-1")]
        for (i, c) in cases.enumerated() { lines.append(Self.declaration("DECL-BAD-\(i)", attachment: c.path)) }
        lines.append(Self.declaration("DECL-OK", attachment: "ok.csv"))
        lines.append(Self.bom("BOM-2"))
        var outcomes = Array(try s.append(Array(lines.prefix(1)), source: "plm"))
        outcomes += try s.append(Array(lines.dropFirst().dropLast()), source: "supplier")
        outcomes += try s.append(Array(lines.suffix(1)), source: "plm")
        Self.expectAppended(outcomes[0])
        for (i, c) in cases.enumerated() { try Self.expectRejected(s.ledger, outcomes[i + 1], c.code, c.text) }
        Self.expectAppended(outcomes[cases.count + 1])
        Self.expectAppended(outcomes[cases.count + 2])
        // A link out to an existing file and one to a missing file get the very same answer.
        guard case .rejected(let existing, _) = outcomes[5], case .rejected(let missing, _) = outcomes[6] else {
            Issue.record("expected rejections")
            return
        }
        #expect(existing.message.replacingOccurrences(of: "link-out", with: "P") == missing.message.replacingOccurrences(of: "link-missing", with: "P"))
        // Nothing outside was read: neither the neighbour's secret nor the key is in the blob store.
        #expect(throws: LedgerError.self) { try s.ledger.blob(sha256: Hex.encode(SHA256.hash(secret))) }
        let keyBytes = try [UInt8](Data(contentsOf: s.dir.path("store/keys/\(keyFile)")))
        #expect(throws: LedgerError.self) { try s.ledger.blob(sha256: Hex.encode(SHA256.hash(keyBytes))) }
        #expect(try s.ledger.verify().isIntact)
    }

    @Test("the store is never readable as an attachment, even from a folder that holds it")
    func storeFolderIsNeverAnAttachment() throws {
        let s = try Setup()
        let keyFile = try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir.path("store/keys").path).first)
        let outcomes = try s.append(
            [Self.declaration("D-1", attachment: "store/keys/\(keyFile)"), Self.declaration("D-2", attachment: "store/ledger/data.mdb")],
            source: "supplier", base: s.dir.url.path)
        try Self.expectRejected(s.ledger, outcomes[0], .invalidEvent, "inside the store's folder are never read")
        try Self.expectRejected(s.ledger, outcomes[1], .invalidEvent, "inside the store's folder are never read")
        // Input made in memory has no attachments folder at all.
        let none = try s.append([Self.declaration("D-3", attachment: "ok.csv")], source: "supplier", base: .some(nil))
        try Self.expectRejected(s.ledger, none[0], .invalidEvent, "need an attachments folder")
    }

    // MARK: - Numbers

    @Test("sums that overflow are violations, not crashes; the rest of the batch commits")
    func numericOverflowInRules() throws {
        let s = try Setup()
        let shares = Self.line(Fixtures.eventJSON(
            type: "composition.declared", sourceRef: "COMP-1",
            data: ["materials": [["name": "a", "sharePercent": 1e308], ["name": "b", "sharePercent": 1e308]]]))
        let stages = Self.line(Fixtures.eventJSON(
            type: "carbon-footprint.declared", sourceRef: "PCF-1",
            data: ["totalKgCO2e": 1e308, "method": "PEF", "perLifeCycleStage": ["rawMaterials": 1e308, "production": 1e308]]))
        // A total so large that total × 1.01 overflows is no reason to reject small stages.
        let bigTotal = Self.line(Fixtures.eventJSON(
            type: "carbon-footprint.declared", sourceRef: "PCF-2",
            data: ["totalKgCO2e": 1.7e308, "method": "PEF", "perLifeCycleStage": ["rawMaterials": 1, "production": 2]]))
        let tooBig = #"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"X","createdAt":"2026-11-20T09:15:00Z","data":{"n":1e999}}"#
        let outcomes = try s.append([Self.bom("BOM-1"), shares, stages, bigTotal, tooBig, Self.bom("BOM-2")])
        Self.expectAppended(outcomes[0])
        try Self.expectRejected(s.ledger, outcomes[1], .invalidEvent, "overflow")
        try Self.expectRejected(s.ledger, outcomes[2], .invalidEvent, "stages sum to more than the largest number (overflow)")
        Self.expectAppended(outcomes[3])
        try Self.expectRejected(s.ledger, outcomes[4], .malformedJSON, "outside the range of an IEEE 754 double")
        Self.expectAppended(outcomes[5])
        #expect(try s.ledger.verify().isIntact)
    }

    // MARK: - Sizes of identifiers and keys

    @Test("identifiers are limited in bytes, so no index key outgrows LMDB; 64-byte ones of any script are fine")
    func byteLongIdentifiers() throws {
        let s = try Setup()
        let family = "👨‍👩‍👧‍👦"  // 7 scalars, 25 bytes
        let long = String(repeating: family, count: 9)  // 63 scalars, 225 bytes
        let fits = String(repeating: "😀", count: 16)  // 16 scalars, 64 bytes
        #expect(long.unicodeScalars.count <= 64 && long.utf8.count > 64 && fits.utf8.count == 64)
        func cert(_ ref: String, _ id: String) -> String {
            Self.line(Fixtures.eventJSON(
                type: "certification.recorded", source: "qa", sourceRef: ref, data: ["id": .string(id), "scheme": "UN 38.3", "issuer": "TÜV"],
                extra: ["validUntil": "2030-01-01T00:00:00Z"]))
        }
        func report(_ ref: String, _ id: String) -> String {
            Self.line(Fixtures.eventJSON(
                type: "test-report.recorded", source: "qa", sourceRef: ref, data: ["id": .string(id), "standard": "IEC 62619", "result": "pass"]))
        }
        func shipment(_ ref: String, _ id: String) -> String {
            Self.line(Fixtures.eventJSON(
                type: "shipment.dispatched", subject: "01/09506000134352/10/LOT-1", source: "wms", sourceRef: ref,
                data: ["shipmentId": .string(id), "destination": "DE", "quantity": 10]))
        }
        var outcomes = try s.append([cert("C-1", long), report("T-1", long), cert("C-2", fits), report("T-2", fits)], source: "qa")
        try Self.expectRejected(s.ledger, outcomes[0], .invalidEvent, "must be at most 64 bytes in UTF-8 (this is 225)")
        try Self.expectRejected(s.ledger, outcomes[1], .invalidEvent, "must be at most 64 bytes in UTF-8")
        Self.expectAppended(outcomes[2])
        Self.expectAppended(outcomes[3])
        outcomes = try s.append([shipment("S-1", long), shipment("S-2", fits)], source: "wms")
        try Self.expectRejected(s.ledger, outcomes[0], .invalidEvent, "must be at most 64 bytes in UTF-8")
        Self.expectAppended(outcomes[1])
        // The longest sourceRef (256 bytes of 4-byte characters) keys the chain of custody: it fits.
        let custody = Self.line(Fixtures.eventJSON(
            type: "batch.transformed", subject: "01/09506000134352/10/LOT-2", source: "erp", sourceRef: String(repeating: "😀", count: 64),
            data: ["inputs": [["subject": "01/09506000134352/10/LOT-1"]]]))
        outcomes = try s.append([custody], source: "erp")
        Self.expectAppended(outcomes[0])
        #expect(try s.ledger.verify().isIntact)
    }

    @Test("an event whose own writes fail inside the transaction is rejected alone; a store failure fails the batch and writes nothing")
    func oneBadEventNeverFailsItsBatch() throws {
        var options = Ledger.Options()
        options.storeFault = { event in
            switch event.sourceRef {
            case "POISON-LMDB": throw LMDBError(code: -30781, operation: "put")  // MDB_BAD_VALSIZE
            case "POISON-OTHER": throw JSONError(offset: 0, reason: "cannot encode")
            case "DISK": throw LMDBError(code: EIO, operation: "put")
            default: break
            }
        }
        let s = try Setup(options: options)
        let before = try s.ledger.size()
        let outcomes = try s.append([Self.bom("A"), Self.bom("POISON-LMDB"), Self.bom("B"), Self.bom("POISON-OTHER"), Self.bom("C")])
        Self.expectAppended(outcomes[0])
        try Self.expectRejected(s.ledger, outcomes[1], .unstorable, "MDB_BAD_VALSIZE")
        Self.expectAppended(outcomes[2])
        try Self.expectRejected(s.ledger, outcomes[3], .unstorable, "cannot encode")
        Self.expectAppended(outcomes[4])
        #expect(try s.ledger.size() == before + 3)
        #expect(outcomes.compactMap(\.record?.seq) == [1, 2, 3])
        #expect(try s.ledger.verify().isIntact)
        // A failure of the store itself is not blamed on one event: the batch fails, nothing is written.
        let size = try s.ledger.size()
        #expect(throws: LedgerError.self) { try s.append([Self.bom("D"), Self.bom("DISK")]) }
        #expect(try s.ledger.size() == size)
        #expect(try s.ledger.verify().isIntact)
    }

    // MARK: - Redelivery

    @Test("redelivering a recorded signed event after its key was revoked answers duplicate; new writes by that key are refused")
    func redeliveryAfterRevocation() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        let signed = try Fixtures.sign(Fixtures.eventJSON(sourceRef: "ECN-1"), with: signers["plm"]!)
        let first = try ledger.appendSync([Fixtures.submission(signed)])[0]
        let ref = try #require(first.record)
        try ledger.revokeKey("plm", reason: "rotation")
        #expect(try ledger.appendSync([Fixtures.submission(signed)])[0] == .duplicate(ref))
        // The same key with different content under the used sourceRef, or a new sourceRef: revoked-key.
        var changed = Fixtures.bom
        changed["revision"] = "B"
        for json in [Fixtures.eventJSON(sourceRef: "ECN-1", data: changed), Fixtures.eventJSON(sourceRef: "ECN-2")] {
            let outcome = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(json, with: signers["plm"]!))])[0]
            try Self.expectRejected(ledger, outcome, .revokedKey, "revoked")
        }
        // A forged signature over the recorded event is not a duplicate: the revoked key may not write.
        let forged = SignedEvent(event: signed.event, signature: EventSignature(key: signed.signature.key, sig: [UInt8](repeating: 7, count: 64)))
        try Self.expectRejected(ledger, try ledger.appendSync([Fixtures.submission(forged)])[0], .revokedKey, "was revoked")
        #expect(try ledger.verify().isIntact)
    }

    // MARK: - Long lines

    @Test("an oversized line is refused in one pass; quarantine keeps a bounded prefix with its length and hash")
    func hugeLines() throws {
        let s = try Setup()
        let huge = Array("{\"type\":\"bom.released\",\"data\":\"".utf8) + [UInt8](repeating: 0x78, count: 3 << 20) + Array("\"}".utf8)
        let tail = [UInt8](repeating: 0x79, count: (1 << 20) + 1)  // at the end, no newline
        var input = Array(Self.bom("BOM-1").utf8) + [0x0A] + huge + [0x0D, 0x0A] + Array(Self.bom("BOM-2").utf8) + [0x0A] + tail
        // Read in small chunks, as from a pipe.
        var offset = 0
        let reader = JSONLinesReader {
            defer { offset = min(input.count, offset + 65536) }
            return Array(input[offset..<min(input.count, offset + 65536)])
        }
        let lines = try reader.next(count: 100)
        #expect(lines.map(\.number) == [1, 2, 3, 4])
        #expect(lines[0].oversized == nil && lines[2].oversized == nil)
        let big = try #require(lines[1].oversized)
        #expect(big.length == huge.count + 1)  // the CR stays part of an oversized line's bytes
        #expect(big.sha256 == SHA256.hash(huge + [0x0D]))
        #expect(lines[1].bytes == Array(huge.prefix(JSONLinesReader.keptPrefix)))
        #expect(lines[3].oversized?.length == tail.count && lines[3].oversized?.sha256 == SHA256.hash(tail))
        input.removeAll()

        let ingestor = try Ingestor(ledger: s.ledger, mode: .unsigned(source: "plm", baseDirectory: nil))
        let outcomes = try s.ledger.appendSync(lines.map { ingestor.submission($0, name: "big.jsonl") })
        Self.expectAppended(outcomes[0])
        try Self.expectRejected(s.ledger, outcomes[1], .tooLarge, "the line is \(huge.count + 1) bytes")
        Self.expectAppended(outcomes[2])
        try Self.expectRejected(s.ledger, outcomes[3], .tooLarge, "bytes are kept in quarantine")
        guard case .rejected(_, let qid?) = outcomes[1] else {
            Issue.record("expected a quarantined rejection")
            return
        }
        let entry = try s.ledger.quarantineEntry(id: qid)
        #expect(entry.raw.count == JSONLinesReader.keptPrefix && entry.truncated == big)
        #expect(entry.origin == "big.jsonl:2")
        // It cannot be retried (only a prefix is kept); --all leaves it for a discard, which records the whole line's hash.
        #expect(throws: LedgerError.self) { try s.ledger.retryQuarantine(id: qid) }
        #expect(try s.ledger.retryAllQuarantine().isEmpty)
        let index = try s.ledger.discardQuarantine(id: qid, reason: "oversized export, resent as attachment")
        #expect(try s.ledger.record(index).event.data["sha256"]?.stringValue == Hex.encode(big.sha256))
        #expect(try s.ledger.verify().isIntact)
    }

    // MARK: - Any mix

    @Test("a batch with any mix of valid and invalid events commits exactly the valid ones (seeded)")
    func mixedBatchesCommitExactlyTheValidOnes() throws {
        for seed in [UInt64(1), 2, 3, 7, 42, 1234, 99_991, 0xDEAD_BEEF] {
            try mixedBatch(seed: seed)
        }
    }

    func mixedBatch(seed: UInt64) throws {
        var options = Ledger.Options()
        options.storeFault = { if $0.sourceRef.hasPrefix("POISON") { throw LMDBError(code: -30781, operation: "put") } }
        var rng = SplitMix64(seed: seed)
        options.maxBatchEvents = [3, 16, 4096][Int(rng.next(upTo: 3))]
        let s = try Setup(options: options)
        let family = String(repeating: "👨‍👩‍👧‍👦", count: 9)
        enum Expect { case appended, duplicate, rejected(LedgerError.Code) }
        var lines: [String] = []
        var expected: [Expect] = []
        var valid: [String] = []
        for i in 0..<(20 + Int(rng.next(upTo: 40))) {
            switch rng.next(upTo: 9) {
            case 0, 1, 2:
                lines.append(Self.bom("OK-\(i)"))
                valid.append(lines.last!)
                expected.append(.appended)
            case 3:
                lines.append(#"{"type":"bom.released","#)
                expected.append(.rejected(.malformedJSON))
            case 4:
                var bad = Fixtures.bom
                bad["lifecycle"] = "draft"
                lines.append(Self.line(Fixtures.eventJSON(sourceRef: "DRAFT-\(i)", data: bad)))
                expected.append(.rejected(.invalidEvent))
            case 5:
                lines.append(Self.line(Fixtures.eventJSON(
                    type: "carbon-footprint.declared", sourceRef: "PCF-\(i)",
                    data: ["totalKgCO2e": 1, "method": "PEF", "perLifeCycleStage": ["rawMaterials": 1e308, "production": 1e308]])))
                expected.append(.rejected(.invalidEvent))
            case 6:
                lines.append(Self.line(Fixtures.eventJSON(
                    type: "test-report.recorded", sourceRef: "T-\(i)", data: ["id": .string(family), "standard": "X", "result": "pass"])))
                expected.append(.rejected(.invalidEvent))
            case 7:
                lines.append(Self.bom("POISON-\(i)"))
                expected.append(.rejected(.unstorable))
            default:
                if let again = valid.randomElement(using: &rng) {
                    lines.append(again)
                    expected.append(.duplicate)
                } else {
                    lines.append("[]")
                    expected.append(.rejected(.invalidEvent))
                }
            }
        }
        let before = try s.ledger.size()
        let outcomes = try s.append(lines)
        #expect(outcomes.count == expected.count, "seed \(seed)")
        for (i, (o, e)) in zip(outcomes, expected).enumerated() {
            switch (o, e) {
            case (.appended, .appended), (.duplicate, .duplicate): break
            case (.rejected(let err, let q), .rejected(let code)):
                #expect(err.code == code && q != nil, "seed \(seed), line \(i + 1): \(err.code) \(err.message)")
            default: Issue.record("seed \(seed), line \(i + 1): expected \(e), got \(o)")
            }
        }
        let appended = expected.filter { if case .appended = $0 { true } else { false } }.count
        #expect(try s.ledger.size() == before + UInt64(appended), "seed \(seed)")
        let rejected = expected.filter { if case .rejected = $0 { true } else { false } }.count
        #expect(try s.ledger.quarantineEntries().count == rejected, "seed \(seed)")
        #expect(try s.ledger.verify().isIntact, "seed \(seed)")
    }
}
