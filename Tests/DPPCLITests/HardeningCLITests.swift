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
}
