import Foundation
import PassportAudit
import PassportModel
import PassportTestSupport
import Testing

/// Issue 7 hardening, as a user of the command line meets it.
@Suite("dpp hardening", .serialized)
struct HardeningCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }

    func dpp(_ args: String..., stdin: String? = nil) throws -> CLI.Result {
        try CLI.run(args + ["--store", store], stdin: stdin, in: dir.url)
    }

    /// Runs a bash script in the test folder with `dpp` on the PATH.
    func bash(_ script: String) throws -> CLI.Result {
        let path = CLI.executable.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return try CLI.runProcess(URL(fileURLWithPath: "/bin/bash"), ["-c", script], in: dir.url, environment: ["PATH": path])
    }

    /// A store with plm and erp keys, one appended record (index 3, by plm), and the files an
    /// auditor gets: ledger.vkey, plm.vkey, erp.vkey, record-3.json, record-3.tlog-proof.
    func auditFiles() throws {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        try Data(try dpp("keys", "add", "plm-windchill").stdout.utf8).write(to: dir.path("plm.vkey"))
        try Data(try dpp("keys", "add", "erp-sap").stdout.utf8).write(to: dir.path("erp.vkey"))
        let line = #"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"ECN-1","createdAt":"2026-11-20T10:15:00Z","data":{"revision":"A","lifecycle":"released","lines":[{"part":"P-1","quantity":2,"massKg":0.5,"material":"steel"}]}}"#
        let a = try dpp("append", "--source", "plm-windchill", "-", stdin: line + "\n")
        #expect(a.stdout.contains("appended index=4"), "\(a.stdout)\(a.stderr)")
        try Data(try dpp("vkey").stdout.utf8).write(to: dir.path("ledger.vkey"))
        try Data(try dpp("record", "4", "--format", "json").stdout.utf8).write(to: dir.path("record.json"))
        try Data(try dpp("prove", "--index", "4").stdout.utf8).write(to: dir.path("record.tlog-proof"))
    }

    @Test("audit verify reads every file argument from pipes and FIFOs")
    func auditVerifyReadsPipes() throws {
        try auditFiles()
        let substituted = try bash(
            "dpp audit verify --vkey <(cat ledger.vkey) --proof <(cat record.tlog-proof) --record <(cat record.json) --source-vkey <(cat plm.vkey)")
        #expect(substituted.status == 0, "\(substituted.stderr)")
        #expect(substituted.stdout.contains("verified: record 4") && substituted.stdout.contains("event signature by plm-windchill+"))

        let fifo = try bash("""
            mkfifo rec.fifo proof.fifo
            cat record.json > rec.fifo &
            cat record.tlog-proof > proof.fifo &
            dpp audit verify --vkey ledger.vkey --proof proof.fifo --record rec.fifo
            status=$?; wait; exit $status
            """)
        #expect(fifo.status == 0, "\(fifo.stderr)")
        #expect(fifo.stdout.contains("verified: record 4"))

        let missing = try bash("dpp audit verify --vkey ledger.vkey --proof record.tlog-proof --record nope.json")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read nope.json: no such file"))
    }

    @Test("audit verify with a source vkey that did not sign the record fails, naming both keys")
    func auditVerifyWrongSourceKey() throws {
        try auditFiles()
        let plm = try NoteVerifierKey(parsing: try String(contentsOf: dir.path("plm.vkey"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        let erp = try NoteVerifierKey(parsing: try String(contentsOf: dir.path("erp.vkey"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        let wrong = try bash("dpp audit verify --vkey ledger.vkey --proof record.tlog-proof --record record.json --source-vkey erp.vkey")
        #expect(wrong.status == 1)
        #expect(!wrong.stdout.contains("verified"))
        #expect(wrong.stderr.contains("signed by \(plm.reference)"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains(erp.reference), "\(wrong.stderr)")
        // With the right key among several, it passes and says the signature was checked.
        let right = try bash("dpp audit verify --vkey ledger.vkey --proof record.tlog-proof --record record.json --source-vkey erp.vkey --source-vkey plm.vkey")
        #expect(right.status == 0, "\(right.stderr)")
        #expect(right.stdout.contains("event signature by \(plm.reference) valid"))
    }
}

/// Key permissions from the command line: `--subjects`, and `permit` changing only what it names.
@Suite("dpp keys permissions", .serialized)
struct KeyPermissionCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }

    func dpp(_ args: String..., stdin: String? = nil) throws -> CLI.Result {
        try CLI.run(args + ["--store", store], stdin: stdin, in: dir.url)
    }

    func permissions(_ name: String) throws -> JSONObject {
        let lines = try dpp("keys", "list", "--format", "json").stdout.split(separator: "\n")
        let key = try #require(lines.compactMap { try? JSONParser.parse(String($0)).objectValue }.last { $0["key"]?.stringValue?.hasPrefix(name + "+") == true })
        return try #require(key["permissions"]?.objectValue)
    }

    static func declaration(_ subject: String, _ ref: String) -> String {
        #"{"type":"declaration.recorded","subject":"\#(subject)","sourceRef":"\#(ref)","createdAt":"2026-03-01T00:00:00Z","validFrom":"2026-01-01T00:00:00Z","validUntil":"2027-01-01T00:00:00Z","data":{"kind":"conflict-minerals","scope":"tin"}}"#
    }

    @Test func permitKeepsWhatItDoesNotName() throws {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        #expect(try dpp("keys", "add", "erp-sap", "--event-types", "batch.produced,item.registered", "--override").status == 0)
        let r = try dpp("keys", "permit", "erp-sap", "--fields", "composition.*", "--reason", "narrow fields")
        #expect(r.status == 0, "\(r.stderr)")
        var p = try permissions("erp-sap")
        #expect(p["eventTypes"] == ["batch.produced", "item.registered"])
        #expect(p["fields"] == ["composition.*"])
        #expect(p["override"] == .bool(true))
        #expect(p["subjects"] == ["*"])
        #expect(try dpp("keys", "permit", "erp-sap", "--no-override", "--reason", "no more overrides").status == 0)
        p = try permissions("erp-sap")
        #expect(p["override"] == .bool(false))
        #expect(p["fields"] == ["composition.*"])
        #expect(p["eventTypes"] == ["batch.produced", "item.registered"])
        let none = try dpp("keys", "permit", "erp-sap", "--reason", "nothing")
        #expect(none.status == 64)
        #expect(none.stderr.contains("name what changes"))
    }

    @Test func aSupplierKeyBoundToItsSubject() throws {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        let add = try dpp("keys", "add", "supplier-acme", "--subjects", "supplier/ACME")
        #expect(add.status == 0, "\(add.stderr)")
        #expect(try permissions("supplier-acme")["subjects"] == ["supplier/ACME"])
        #expect(try dpp("keys", "list").stdout.contains("subjects supplier/ACME"))

        let own = try dpp("append", "--source", "supplier-acme", "-", stdin: Self.declaration("supplier/ACME", "CMRT-1"))
        #expect(own.status == 0, "\(own.stdout)\(own.stderr)")
        let other = try dpp("append", "--source", "supplier-acme", "-", stdin: Self.declaration("supplier/OTHER", "CMRT-2"))
        #expect(other.status == 3)
        #expect(other.stdout.contains("rejected not-permitted"), "\(other.stdout)")
        #expect(other.stdout.contains("may not write subject supplier/OTHER (permitted subjects: supplier/ACME)"), "\(other.stdout)")

        let permit = try dpp("keys", "permit", "supplier-acme", "--subjects", "supplier/ACME,supplier/OTHER", "--reason", "merger")
        #expect(permit.status == 0, "\(permit.stderr)")
        let retry = try dpp("quarantine", "retry", "1")
        #expect(retry.stdout.contains("resolved"), "\(retry.stdout)\(retry.stderr)")
        #expect(try permissions("supplier-acme")["eventTypes"] == ["*"])

        let bad = try dpp("keys", "add", "supplier-x", "--subjects", "supplier/A B")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("permissions.subjects"), "\(bad.stderr)")

        let v = try dpp("verify")
        #expect(v.status == 0, "\(v.stderr)")
    }

    static let bomLine = #"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"ECN-1","createdAt":"2026-11-20T10:15:00Z","data":{"revision":"A","lifecycle":"released","lines":[{"part":"P-1","quantity":2,"massKg":0.5,"material":"steel"}]}}"#

    @Test("control characters and ESC sequences from input never reach the terminal raw")
    func controlCharactersAreEscaped() throws {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        #expect(try dpp("keys", "add", "plm").status == 0)
        // A rejected value with ESC sequences (clear screen, red), and an accepted name carrying them.
        let evil = #"\u001b[2J\u001b[31mOWNED\u0007\u009b31m\u202e"#
        let rejected = #"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"ECN-X","createdAt":"2026-11-20T10:15:00Z","data":{"revision":"A","lifecycle":"\#(evil)","lines":[{"part":"P-1","quantity":2,"massKg":0.5,"material":"steel"}]}}"#
        let accepted = #"{"type":"product.registered","subject":"01/09506000134352","sourceRef":"PRD-1","createdAt":"2026-11-20T10:15:00Z","data":{"name":"Pack \#(evil)","category":"EV battery","manufacturer":"Example Cells GmbH"}}"#
        let a = try dpp("append", "--source", "plm", "-", stdin: rejected + "\n" + accepted + "\n")
        #expect(a.status == 3, "\(a.stdout)\(a.stderr)")
        let outputs = [
            a.stdout, a.stderr,
            try dpp("quarantine", "list").stdout, try dpp("quarantine", "show", "1").stdout,
            try dpp("passport", "01/09506000134352").stdout, try dpp("passport", "history", "01/09506000134352").stdout,
            try dpp("history", "01/09506000134352").stdout,
        ]
        for out in outputs {
            #expect(!out.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B || $0.value == 0x202E }, "raw control in: \(out)")
        }
        #expect(outputs[0].contains(#"\u001b[2J"#), "the escape is shown, visibly: \(outputs[0])")
        #expect(outputs[4].contains(#"Pack \u001b[2J\u001b[31mOWNED"#), "\(outputs[4])")
        // The JSON passport keeps the value exactly (a JSON escape is the same string).
        let json = try JSONParser.parse(try dpp("passport", "01/09506000134352", "--format", "json").stdout)
        #expect(json.objectValue?["passport"]?.objectValue?["identity"]?.objectValue?["name"]?.stringValue == "Pack \u{1B}[2J\u{1B}[31mOWNED\u{07}\u{9B}31m\u{202E}")
    }

    @Test("--attachments-dir names the only folder attachment paths may read")
    func attachmentsDirectory() throws {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        #expect(try dpp("keys", "add", "supplier-portal").status == 0)
        let docs = dir.path("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        try Data("Smelter,Metal\n".utf8).write(to: docs.appendingPathComponent("cmrt.csv"))
        func line(_ ref: String, _ path: String) -> String {
            #"{"type":"declaration.recorded","subject":"supplier/ACME","sourceRef":"\#(ref)","createdAt":"2026-11-10T12:00:00Z","validFrom":"2026-01-01T00:00:00Z","validUntil":"2027-01-01T00:00:00Z","data":{"kind":"conflict-minerals","scope":"tin"},"attachments":[{"path":"\#(path)"}]}"#
        }
        // From stdin the folder is the current one: docs/cmrt.csv is inside it, the store's keys are not readable.
        let here = try dpp("append", "--source", "supplier-portal", "-", stdin: line("D-1", "docs/cmrt.csv") + "\n" + line("D-2", "store/keys/x.key") + "\n")
        #expect(here.status == 3)
        #expect(here.stdout.contains("stdin:1 appended"), "\(here.stdout)")
        #expect(here.stdout.contains("stdin:2 rejected invalid-event"), "\(here.stdout)")
        let named = try dpp("append", "--source", "supplier-portal", "--attachments-dir", "docs", "-", stdin: line("D-3", "cmrt.csv") + "\n" + line("D-4", "../docs/cmrt.csv") + "\n")
        #expect(named.stdout.contains("stdin:1 appended") && named.stdout.contains("'..' is not allowed"), "\(named.stdout)")
        let signed = try dpp("append", "--signed", "--attachments-dir", "docs", "-", stdin: "")
        #expect(signed.status == 64 && signed.stderr.contains("--attachments-dir is for unsigned input"))
        let put = try dpp("blob", "put", "store/keys")
        #expect(put.status == 1 && put.stderr.contains("inside the store's folder"), "\(put.stderr)")
    }

    /// True where this process may bind-mount read-only (root, as in CI).
    static let canMountReadOnly: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("dpp-ro-probe-\(getpid())")
        try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        guard (try? CLI.runProcess(URL(fileURLWithPath: "/bin/mount"), ["--bind", probe.path, probe.path]))?.status == 0 else { return false }
        _ = try? CLI.runProcess(URL(fileURLWithPath: "/bin/umount"), [probe.path])
        return true
    }()

    @Test("every read works on a read-only store", .enabled(if: canMountReadOnly))
    func readsWorkOnAReadOnlyStore() throws {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        #expect(try dpp("keys", "add", "plm").status == 0)
        #expect(try dpp("append", "--source", "plm", "-", stdin: Self.bomLine + "\n").status == 0)
        let ro = dir.path("ro").path
        try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
        #expect(try CLI.runProcess(URL(fileURLWithPath: "/bin/mount"), ["--bind", store, ro]).status == 0)
        defer { _ = try? CLI.runProcess(URL(fileURLWithPath: "/bin/umount"), ["-l", ro]) }
        #expect(try CLI.runProcess(URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,bind,ro", ro]).status == 0)
        let model = "01/09506000134352"
        let reads: [[String]] = [
            ["passport", model, "--view", "authority"], ["passport", "diff", model, "--from", "2026-01-01T00:00:00Z", "--to", Timestamp.now().description],
            ["passport", "history", model], ["audit", "trail", model], ["prove", "--index", "3"], ["prove-consistency", "--from", "1"],
            ["checkpoint"], ["vkey"], ["record", "3"], ["history", model], ["export"], ["verify"], ["quarantine", "list"], ["keys", "list"],
            ["passport", model, "--view", "authority", "--prove", "composition.billOfMaterials", "--output", dir.path("proof").path],
        ]
        for args in reads {
            let r = try CLI.run(args + ["--store", ro], in: dir.url)
            #expect(r.status == 0, "dpp \(args.joined(separator: " ")) on a read-only store: \(r.stderr)")
        }
        let write = try CLI.run(["append", "--source", "plm", "--store", ro], stdin: Self.bomLine, in: dir.url)
        #expect(write.status != 0)
    }
}
