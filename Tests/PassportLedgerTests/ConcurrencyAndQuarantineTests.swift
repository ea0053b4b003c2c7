import Foundation
import PassportAudit
import PassportDemoData
import PassportIngest
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

@Suite("Group commit, quarantine and proofs")
struct ConcurrencyAndQuarantineTests {
    @Test("many concurrent appenders on one store: all succeed, streams stay gapless, verify passes")
    func concurrentAppenders() async throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir, sources: ["plm", "plm-b"])
        let tasks = 16
        let perTask = 50
        let results = try await withThrowingTaskGroup(of: [AppendOutcome].self) { group in
            for t in 0..<tasks {
                let signer = signers[t % 2 == 0 ? "plm" : "plm-b"]!
                let source = t % 2 == 0 ? "plm" : "plm-b"
                group.addTask {
                    var all: [AppendOutcome] = []
                    for i in 0..<perTask {
                        let subject = "01/\(Fixtures.gtin)/10/LOT\(t)"
                        let s = Fixtures.submission(try Fixtures.sign(
                            Fixtures.eventJSON(subject: subject, source: source, sourceRef: "T\(t)-\(i)"), with: signer))
                        all += try await ledger.append([s])
                    }
                    return all
                }
            }
            var out: [AppendOutcome] = []
            for try await r in group { out += r }
            return out
        }
        #expect(results.count == tasks * perTask)
        #expect(results.allSatisfy { if case .appended = $0 { true } else { false } })
        #expect(Set(results.compactMap(\.record?.index)).count == tasks * perTask)
        for t in 0..<tasks {
            let h = try ledger.history(try Subject("01/\(Fixtures.gtin)/10/LOT\(t)"))
            #expect(h.map(\.seq) == Array(1...UInt64(perTask)))
        }
        let report = try ledger.verify()
        #expect(report.isIntact)
        // Group commit: far fewer checkpoints (one per transaction) than appends.
        #expect(report.checkpoints < tasks * perTask)
    }

    @Test("no input is lost: every line ends up in the log or in quarantine")
    func noInputLost() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        let seed = SplitMix64.testSeed()
        var rng = SplitMix64(seed: seed)
        var lines: [String] = []
        for i in 0..<300 {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: lines.append("{not json \(i)")
            case 1: lines.append(#"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"L\#(i)","data":{"revision":"A","lifecycle":"released","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"}]}}"#)  // no createdAt
            case 2: lines.append(#"{"type":"bom.released","subject":"01/123","sourceRef":"L\#(i)","createdAt":"2026-01-01T00:00:00Z","data":{"revision":"A","lifecycle":"released","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"}]}}"#)
            case 3: lines.append(#"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"DUP","createdAt":"2026-01-01T00:00:00Z","data":{"revision":"\#(i)","lifecycle":"released","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"}]}}"#)
            case 4: lines.append(#"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"L\#(i)","createdAt":"2026-01-01T00:00:00Z","data":{"revision":"A","lifecycle":"draft","lines":[{"part":"P","quantity":0,"massKg":1,"material":"steel"}]}}"#)
            default: lines.append(#"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"L\#(i)","createdAt":"2026-01-01T00:00:00Z","data":{"revision":"A","lifecycle":"released","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"}]}}"#)
            }
        }
        let before = try ledger.size()
        let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: "plm", baseDirectory: nil))
        let subs = ingestor.submissions(from: Array(lines.joined(separator: "\n").utf8), name: "mix.jsonl")
        #expect(subs.count == lines.count)
        let outcomes = try ledger.appendSync(subs)
        let appended = outcomes.filter { if case .appended = $0 { true } else { false } }.count
        let rejected = outcomes.compactMap { if case .rejected(_, let q) = $0 { q } else { nil } }
        #expect(appended + rejected.count == lines.count, "seed \(seed) (DPP_TEST_SEED)")  // no duplicates in this mix except DUP conflicts (rejected)
        #expect(try ledger.size() == before + UInt64(appended))
        let quarantined = try ledger.quarantineEntries()
        #expect(quarantined.count == rejected.count, "seed \(seed) (DPP_TEST_SEED)")
        // Every rejected line's exact bytes are in quarantine with its line number.
        let byOrigin = Dictionary(uniqueKeysWithValues: quarantined.map { ($0.origin, $0.raw) })
        for (s, o) in zip(subs, outcomes) {
            if case .rejected = o { #expect(byOrigin[s.origin] == s.raw, "seed \(seed) (DPP_TEST_SEED): \(s.origin)") }
        }
    }

    @Test func quarantineRetryAfterFixAndDiscard() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["supplier-portal"])
        let line = #"{"type":"declaration.recorded","subject":"supplier/ACME","sourceRef":"CMRT-9","createdAt":"2026-03-01T00:00:00Z","validFrom":"2026-01-01T00:00:00Z","validUntil":"2027-01-01T00:00:00Z","data":{"kind":"conflict-minerals","scope":"tin"},"attachments":[{"path":"cmrt.csv"}]}"#
        let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: "supplier-portal", baseDirectory: dir.url.path))
        let first = try ledger.appendSync([ingestor.submission(line: Array(line.utf8), origin: "decl.jsonl:1")])[0]
        guard case .rejected(let e, let qid?) = first else {
            Issue.record("expected rejection")
            return
        }
        #expect(e.message.contains("no such file inside the attachments folder"))
        // Still failing: the entry stays open and counts the attempt.
        guard case .rejected = try ledger.retryQuarantine(id: qid) else {
            Issue.record("expected rejection again")
            return
        }
        #expect(try ledger.quarantineEntry(id: qid).attempts == 2)
        // Fix the input, retry: appended, entry resolved.
        try Data("Smelter,Metal\nCID001,Tin\n".utf8).write(to: dir.path("cmrt.csv"))
        let retried = try ledger.retryQuarantine(id: qid)
        let ref = try #require(retried.record)
        let entry = try ledger.quarantineEntry(id: qid)
        #expect(entry.status == .resolved)
        #expect(entry.resolvedIndex == ref.index)
        #expect(try ledger.quarantineEntries().isEmpty)
        #expect(try ledger.record(ref.index).event.attachments.first?.name == "cmrt.csv")
        #expect(throws: LedgerError.self) { try ledger.retryQuarantine(id: qid) }
        // Discard needs a reason and is kept.
        let bad = try ledger.appendSync([ingestor.submission(line: Array("nope".utf8), origin: "x:1")])[0]
        guard case .rejected(_, let q2?) = bad else {
            Issue.record("expected a rejection")
            return
        }
        #expect(throws: LedgerError.self) { try ledger.discardQuarantine(id: q2, reason: " ") }
        try ledger.discardQuarantine(id: q2, reason: "test garbage from a misconfigured connector")
        let d = try ledger.quarantineEntry(id: q2)
        #expect(d.status == .discarded)
        #expect(d.discardReason == "test garbage from a misconfigured connector")
        #expect(try ledger.quarantineEntries(includeClosed: true).count == 2)
    }

    @Test("inclusion and consistency proofs at older tree sizes verify with PassportAudit")
    func proofsAtOlderSizes() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        var roots: [UInt64: [UInt8]] = [:]
        for i in 0..<40 {
            _ = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "P\(i)"), with: signers["plm"]!))])
            let size = try ledger.size()
            let cp = try Checkpoint.open(try ledger.latestCheckpoint(), logKey: ledger.vkey)
            #expect(cp.size == size)
            roots[size] = cp.rootHash
        }
        let size = try ledger.size()
        for old in roots.keys.sorted() where old % 7 == 0 {
            let proof = try ledger.consistencyProof(from: old, to: size)
            try Merkle.verifyConsistency(oldSize: old, newSize: size, oldRoot: roots[old]!, newRoot: roots[size]!, proof: proof)
            // Inclusion of a record at that older size, against the checkpoint kept for it.
            let bundle = try ledger.proofBundle(index: old - 1, size: old)
            let v = try RecordAudit.verify(recordBytes: try ledger.recordBytes(old - 1), bundle: bundle, ledgerKey: ledger.vkey)
            #expect(v.checkpoint.size == old)
        }
        #expect(throws: LedgerError.self) { try ledger.proofBundle(index: 5, size: size + 1) }
        // A size inside one commit has no stored checkpoint: the ledger signs one for it on demand.
        let before = try ledger.size()
        _ = try ledger.appendSync(try (0..<6).map { Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "B\($0)"), with: signers["plm"]!)) })
        let middle = before + 3
        #expect(try ledger.checkpoint(size: middle) == nil)
        let bundle = try ledger.proofBundle(index: before + 1, size: middle)
        let checked = try RecordAudit.verify(recordBytes: try ledger.recordBytes(before + 1), bundle: bundle, ledgerKey: ledger.vkey)
        #expect(checked.checkpoint.size == middle)
        try Merkle.verifyConsistency(
            oldSize: middle, newSize: try ledger.size(), oldRoot: checked.checkpoint.rootHash,
            newRoot: try Checkpoint.open(try ledger.latestCheckpoint(), logKey: ledger.vkey).rootHash,
            proof: try ledger.consistencyProof(from: middle))
        #expect(throws: LedgerError.self) { try ledger.consistencyProof(from: 9, to: 3) }
    }

    @Test func keyFilesArePrivate() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        for k in try ledger.keys() {
            let attrs = try FileManager.default.attributesOfItem(atPath: ledger.keyFiles.url(for: k.reference).path)
            #expect((attrs[.posixPermissions] as? Int) == 0o600)
        }
        let folder = try FileManager.default.attributesOfItem(atPath: ledger.keyFiles.directory.path)
        #expect((folder[.posixPermissions] as? Int) == 0o700)
        // A key file readable by others is refused.
        let ref = try #require(try ledger.activeKey(source: "plm")).reference
        chmod(ledger.keyFiles.url(for: ref).path, 0o644)
        let e = #expect(throws: LedgerError.self) { try ledger.sourceSigner("plm") }
        #expect(e?.message.contains("chmod 600") == true)
    }
}
