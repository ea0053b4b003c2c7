import Foundation
import PassportAudit
import PassportLedger
import PassportModel
import PassportTestSupport
import Testing

@Suite("dpp command line", .serialized)
struct CLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }

    func dpp(_ args: String..., stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> CLI.Result {
        let r = try CLI.run(args + ["--store", store], stdin: stdin, in: dir.url)
        #expect(!r.stdout.contains("PRIVATE+KEY") && !r.stderr.contains("PRIVATE+KEY"), "a private key was printed", sourceLocation: sourceLocation)
        return r
    }

    func setUp() throws {
        let i = try dpp("init", "--origin", "cli.example/passports")
        #expect(i.status == 0, "\(i.stderr)")
        #expect(try NoteVerifierKey(parsing: i.stdout.trimmingCharacters(in: .newlines)).name == "cli.example/passports")
        let k = try dpp("keys", "add", "plm-windchill")
        #expect(k.status == 0, "\(k.stderr)")
        #expect(k.stdout.hasPrefix("plm-windchill+"))
    }

    static func line(_ ref: String, subject: String = "01/09506000134352", extra: String = "") -> String {
        #"{"type":"bom.released","subject":"\#(subject)","sourceRef":"\#(ref)","createdAt":"2026-11-20T10:15:00+01:00","data":{"revision":"A","lifecycle":"released","lines":[{"part":"P-1","quantity":2,"massKg":0.5,"material":"steel"}]}\#(extra)}"#
    }

    @Test func endToEndWithRejectionsProofsAndAudit() throws {
        try setUp()
        let input = [
            Self.line("ECN-1"), Self.line("ECN-2"), "{oops", #"{"type":"bom.released","subject":"01/09506000134352","data":{}}"#,
            Self.line("ECN-3", subject: "01/09506000134352/10/LOT%2F7"),
        ].joined(separator: "\n")
        try Data(input.utf8).write(to: dir.path("events.jsonl"))
        let a = try dpp("append", "--source", "plm-windchill", "events.jsonl")
        #expect(a.status == 3, "exit code says some were rejected")
        let out = a.stdout.split(separator: "\n").map(String.init)
        #expect(out.count == 5)
        #expect(out[0] == "events.jsonl:1 appended index=3 subject=01/09506000134352 seq=1")
        #expect(out[1] == "events.jsonl:2 appended index=4 subject=01/09506000134352 seq=2")
        #expect(out[2].hasPrefix("events.jsonl:3 rejected malformed-json quarantine=1: not valid JSON"))
        #expect(out[3].hasPrefix("events.jsonl:4 rejected invalid-event quarantine=2: sourceRef: is required"))
        #expect(out[3].contains("createdAt: is required"))
        #expect(out[4] == "events.jsonl:5 appended index=5 subject=01/09506000134352/10/LOT%2F7 seq=1")
        #expect(a.stderr.contains("2 event(s) rejected"))

        let q = try dpp("quarantine", "list")
        #expect(q.stdout.split(separator: "\n").count == 2)
        #expect(try dpp("quarantine", "show", "1").stdout.contains("{oops"))

        let h = try dpp("history", "01/09506000134352")
        #expect(h.status == 0)
        #expect(h.stdout.contains("#4  ") && h.stdout.contains("seq 2") && h.stdout.contains("created 2026-11-20T09:15:00.000000Z"))
        let hj = try dpp("history", "01/09506000134352", "--format", "json")
        let records = try hj.stdout.split(separator: "\n").map { try Record(bytes: Array($0.utf8)) }
        #expect(records.map(\.seq) == [1, 2])

        let cp = try dpp("checkpoint")
        #expect(cp.stdout.hasPrefix("cli.example/passports\n6\n"))
        let vkey = try dpp("vkey").stdout
        try Data(vkey.utf8).write(to: dir.path("ledger.vkey"))
        let rec = try dpp("record", "3", "--format", "json")
        try Data(rec.stdout.utf8).write(to: dir.path("record-3.json"))
        let proof = try dpp("prove", "--index", "3")
        #expect(proof.stdout.hasPrefix("c2sp.org/tlog-proof@v1\nindex 3\n"))
        #expect(proof.stdout.hasSuffix(cp.stdout))
        try Data(proof.stdout.utf8).write(to: dir.path("record-3.tlog-proof"))
        let sourceVkey = try dpp("keys", "list", "--format", "json").stdout.split(separator: "\n")
            .compactMap { try? JSONParser.parse(String($0)).objectValue?["vkey"]?.stringValue }.last!
        try Data(sourceVkey.utf8).write(to: dir.path("plm.vkey"))

        // Offline: no store needed.
        let audit = try CLI.run(
            ["audit", "verify", "--vkey", "ledger.vkey", "--proof", "record-3.tlog-proof", "--record", "record-3.json", "--source-vkey", "plm.vkey"],
            in: dir.url)
        #expect(audit.status == 0, "\(audit.stderr)")
        #expect(audit.stdout.contains("verified: record 3") && audit.stdout.contains("event signature by plm-windchill+"))
        let altered = rec.stdout.replacingOccurrences(of: "\"revision\":\"A\"", with: "\"revision\":\"X\"")
        try Data(altered.utf8).write(to: dir.path("altered.json"))
        let bad = try CLI.run(["audit", "verify", "--vkey", "ledger.vkey", "--proof", "record-3.tlog-proof", "--record", "altered.json"], in: dir.url)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("inclusion proof does not lead to the root hash"))

        let export = try dpp("export")
        let lines = export.stdout.split(separator: "\n")
        #expect(lines.count == 6)
        for (i, l) in lines.enumerated() { #expect(try Record(bytes: Array(l.utf8)).index == UInt64(i)) }

        let v = try dpp("verify")
        #expect(v.status == 0)
        #expect(v.stdout.contains("intact: 6 records"))
        // An auditor trusts a vkey they got out of band, not the one in the store.
        #expect(try dpp("verify", "--vkey", "ledger.vkey").status == 0)
        try Data((try NoteSigner.generate(name: "cli.example/passports").verifier.description + "\n").utf8).write(to: dir.path("other.vkey"))
        let wrongKey = try dpp("verify", "--vkey", "other.vkey")
        #expect(wrongKey.status == 1)
        #expect(wrongKey.stderr.contains("is not the trusted key"))
        let vj = try dpp("verify", "--format", "json")
        #expect(vj.stdout.contains(#""intact":true"#))

        let cons = try dpp("prove-consistency", "--from", "2")
        #expect(cons.status == 0)
        #expect(cons.stdout.split(separator: "\n").allSatisfy { Base64.decode(String($0))?.count == 32 })

        // Retry a quarantined line after fixing it is covered by library tests; discard here.
        #expect(try dpp("quarantine", "discard", "1", "--reason", "garbage from a test").status == 0)
        #expect(try dpp("quarantine", "list").stdout.split(separator: "\n").count == 1)
    }

    @Test func revokeSignedAppendAndBlobs() throws {
        try setUp()
        #expect(try dpp("append", "--source", "plm-windchill", stdin: Self.line("R-1")).status == 0)
        let r = try dpp("keys", "revoke", "plm-windchill", "--reason", "rotated")
        #expect(r.status == 0 && r.stdout.hasPrefix("revoked plm-windchill+"))
        let after = try dpp("append", "--source", "plm-windchill", stdin: Self.line("R-2"))
        #expect(after.status == 1)
        #expect(after.stderr.contains("source plm-windchill has no active key"))
        #expect(try dpp("keys", "list").stdout.contains("revoked at #"))

        // A source that signs on its own side: attachments go in first with blob put.
        #expect(try dpp("keys", "add", "supplier-portal").status == 0)
        try Data("CMRT bytes".utf8).write(to: dir.path("cmrt.csv"))
        let sha = try dpp("blob", "put", "cmrt.csv").stdout.trimmingCharacters(in: .newlines)
        #expect(sha.count == 64)
        let keyFile = try FileManager.default.contentsOfDirectory(atPath: dir.path("store/keys").path).first { $0.hasPrefix("supplier-portal+") }!
        let signer = try NoteSigner(parsingSecret: String(decoding: try Data(contentsOf: dir.path("store/keys/\(keyFile)")), as: UTF8.self))
        let json = Fixtures.eventJSON(
            type: "declaration.recorded", subject: "supplier/ACME", source: "supplier-portal", sourceRef: "CMRT-1",
            data: ["kind": "conflict-minerals", "scope": "tin, tantalum"],
            extra: ["attachments": [["sha256": .string(sha), "mediaType": "text/csv", "name": "cmrt.csv"]],
                "validFrom": "2026-01-01T00:00:00.000000Z", "validUntil": "2027-01-01T00:00:00.000000Z"])
        let signed = try Fixtures.sign(json, with: signer)
        let a = try dpp("append", "--signed", "--format", "json", stdin: CanonicalJSON.string(signed.json))
        #expect(a.status == 0, "\(a.stdout) \(a.stderr)")
        #expect(a.stdout.contains(#""result":"appended""#))
        #expect(try CLI.run(["blob", "get", sha, "--store", store], in: dir.url).stdout == "CMRT bytes")
        #expect(try dpp("verify").stdout.contains("1 attachments"))
    }

    @Test func notAStoreAndBadArguments() throws {
        try FileManager.default.createDirectory(at: dir.path("empty"), withIntermediateDirectories: true)
        let r = try CLI.run(["history", "01/09506000134352", "--store", dir.path("empty").path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("is not a Passport Ledger store"))
        try setUp()
        let bad = try dpp("history", "01/123")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("a GTIN must be 14 digits"))
        let both = try dpp("append", "--signed", "--source", "x")
        #expect(both.status == 64)
        #expect(try dpp("record", "999").stderr.contains("no record 999"))
    }

    @Test("verify names the first bad index of a tampered store")
    func verifyCatchesTampering() throws {
        try setUp()
        let lines = (1...20).map { Self.line("T-\($0)") }.joined(separator: "\n")
        #expect(try dpp("append", "--source", "plm-windchill", stdin: lines).status == 0)
        // Flip one byte of a record inside the LMDB file, as a disk editor would.
        let path = dir.path("store/ledger/data.mdb")
        var data = try Data(contentsOf: path)
        let needle = Data(#""sourceRef":"T-7""#.utf8)
        let range = try #require(data.range(of: needle))
        data[range.lowerBound + 14] = UInt8(ascii: "9")
        try data.write(to: path)
        let v = try dpp("verify")
        #expect(v.status == 1)
        #expect(v.stderr.contains("NOT INTACT: record 9:"), "\(v.stderr)")
    }

    @Test("two dpp append processes on one store both succeed and leave a valid log")
    func twoProcessesAppendConcurrently() throws {
        try setUp()
        #expect(try dpp("keys", "add", "plm-teamcenter").status == 0)
        let n = 400
        try Data((1...n).map { Self.line("P-\($0)") }.joined(separator: "\n").utf8).write(to: dir.path("plm.jsonl"))
        try Data((1...n).map { Self.line("E-\($0)", subject: "01/09506000134352/10/B\($0 % 5)") }
            .joined(separator: "\n").utf8).write(to: dir.path("erp.jsonl"))
        let p1 = try CLI.start(["append", "--source", "plm-windchill", "--batch", "7", "plm.jsonl", "--store", store], in: dir.url)
        let p2 = try CLI.start(["append", "--source", "plm-teamcenter", "--batch", "5", "erp.jsonl", "--store", store], in: dir.url)
        let o1 = p1.1.fileHandleForReading.readDataToEndOfFile()
        let o2 = p2.1.fileHandleForReading.readDataToEndOfFile()
        p1.0.waitUntilExit()
        p2.0.waitUntilExit()
        #expect(p1.0.terminationStatus == 0)
        #expect(p2.0.terminationStatus == 0)
        #expect(String(decoding: o1, as: UTF8.self).split(separator: "\n").count == n)
        #expect(String(decoding: o2, as: UTF8.self).split(separator: "\n").count == n)
        let v = try dpp("verify")
        #expect(v.status == 0, "\(v.stderr)")
        #expect(v.stdout.contains("intact: \(4 + 2 * n) records"))
    }

    static let goAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/go")
        && FileManager.default.fileExists(atPath: "/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog")

    @Test("Go's golang.org/x/mod sumdb/note and sumdb/tlog accept our checkpoints and proofs", .enabled(if: goAvailable))
    func thirdPartyGoVerifier() throws {
        try setUp()
        #expect(try dpp("append", "--source", "plm-windchill", stdin: (1...5).map { Self.line("G-\($0)") }.joined(separator: "\n")).status == 0)
        try Data(try dpp("checkpoint").stdout.utf8).write(to: dir.path("old.cp"))
        #expect(try dpp("append", "--source", "plm-windchill", stdin: (6...13).map { Self.line("G-\($0)") }.joined(separator: "\n")).status == 0)
        try Data(try dpp("checkpoint").stdout.utf8).write(to: dir.path("new.cp"))
        try Data(try dpp("vkey").stdout.utf8).write(to: dir.path("ledger.vkey"))
        try Data(try dpp("prove-consistency", "--from", "8").stdout.utf8).write(to: dir.path("cons.txt"))
        let go = URL(fileURLWithPath: "/usr/bin/go")
        let env = ["GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOCACHE": dir.path("gocache").path]
        let program = CLI.packageRoot.appendingPathComponent("Tests/Interop/tlogverify/main.go").path
        for index in [0, 4, 9, 14] {
            try Data(try dpp("record", String(index), "--format", "json").stdout.utf8).write(to: dir.path("r.json"))
            try Data(try dpp("prove", "--index", String(index)).stdout.utf8).write(to: dir.path("r.proof"))
            let r = try CLI.runProcess(go, ["run", program, "inclusion", "ledger.vkey", "r.json", "r.proof"], in: dir.url, environment: env)
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            #expect(r.stdout.hasPrefix("ok: record \(index) is in cli.example/passports at tree size 16"))
        }
        let c = try CLI.runProcess(go, ["run", program, "consistency", "ledger.vkey", "old.cp", "new.cp", "cons.txt"], in: dir.url, environment: env)
        #expect(c.status == 0, "\(c.stdout) \(c.stderr)")
        #expect(c.stdout.contains("ok: tree 8 is a prefix of tree 16"))
        // And it rejects a record that is not the one proven.
        try Data(try dpp("record", "5", "--format", "json").stdout.utf8).write(to: dir.path("other.json"))
        try Data(try dpp("prove", "--index", "4").stdout.utf8).write(to: dir.path("r.proof"))
        let bad = try CLI.runProcess(go, ["run", program, "inclusion", "ledger.vkey", "other.json", "r.proof"], in: dir.url, environment: env)
        #expect(bad.status == 1)
    }

    static let pythonSchemaCheck: Bool = {
        guard let r = try? CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import jsonschema, referencing"]) else { return false }
        return r.status == 0
    }()

    @Test("exported records and signed lines validate against the published JSON Schemas")
    func recordsMatchPublishedSchemas() throws {
        try #require(Self.pythonSchemaCheck, "Python's jsonschema ≥ 4.18 with referencing is missing: run scripts/install-deps.sh --test (./test.sh does)")
        try setUp()
        #expect(try dpp("keys", "revoke", "plm-windchill", "--reason", "rotation").status == 0)
        #expect(try dpp("keys", "add", "plm-windchill", "--valid-until", "2030-01-01T00:00:00Z").status == 0)
        let lines = [Self.line("S-1"), Self.line("S-2", extra: #","validFrom":"2026-12-01T00:00:00Z","refs":[{"rel":"declaration","subject":"supplier/ACME"}]"#),
            Self.line("S-3", subject: "01/09506000134352/10/LOT%2F1")]
        #expect(try dpp("append", "--source", "plm-windchill", stdin: lines.joined(separator: "\n")).status == 0)
        let export = try dpp("export").stdout
        let script = CLI.packageRoot.appendingPathComponent("scripts/validate-records.py").path
        let ok = try CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script], stdin: export)
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout == "8 valid\n")
        let broken = export.replacingOccurrences(of: #""seq":2,"#, with: #""seq":0,"#)
        let bad = try CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script], stdin: broken)
        #expect(bad.status == 1)
        let events = export.split(separator: "\n").map { line -> String in
            let o = try! JSONParser.parse(String(line)).objectValue!
            return CanonicalJSON.string(["event": o["event"]!, "signature": o["signature"]!])
        }.joined(separator: "\n")
        let signed = try CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "signed-line.schema.json"], stdin: events)
        #expect(signed.stdout == "8 valid\n")
    }

    @Test("a process whose map another process grew adopts the new size and keeps appending")
    func mapGrownByAnotherProcess() throws {
        let ledger = try Ledger.create(at: dir.path("store"), origin: "grow.example/log", options: .init(initialMapSize: 1 << 20))
        try ledger.addKey(name: "plm-a")
        try ledger.addKey(name: "plm-b")
        // Another process appends enough to grow the map well past this process's 1 MiB.
        let lines = (0..<120).map { i in
            CanonicalJSON.string(.object(Fixtures.eventJSON(source: "plm-b", sourceRef: "BIG-\(i)", data: Fixtures.bigBom(bytes: 30_000, tag: "\(i)"))))
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: dir.path("big.jsonl"))
        let r = try CLI.run(["append", "--source", "plm-b", "big.jsonl", "--store", store], in: dir.url)
        #expect(r.status == 0, "\(r.stderr)")
        // This process appends and reads again.
        let mine = Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(source: "plm-a", sourceRef: "MINE"), with: try ledger.sourceSigner("plm-a")))
        #expect(try ledger.appendSync([mine])[0].record != nil)
        #expect(try ledger.verify().isIntact)
        #expect(try ledger.size() == 125)
    }

    @Test("the README's example input line is accepted as written")
    func readmeExampleLine() throws {
        let readme = try String(contentsOf: CLI.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(readme.components(separatedBy: "```json\n").dropFirst().first?.components(separatedBy: "\n```").first)
        let line = block.replacingOccurrences(of: "\n", with: "")
        #expect(try dpp("init", "--origin", "readme.example/log").status == 0)
        #expect(try dpp("keys", "add", "supplier-portal").status == 0)
        try Data("spreadsheet".utf8).write(to: dir.path("cmrt-acme-2026.xlsx"))
        try Data(line.utf8).write(to: dir.path("in.jsonl"))
        let r = try dpp("append", "--source", "supplier-portal", "in.jsonl")
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("appended index="))
    }
}
