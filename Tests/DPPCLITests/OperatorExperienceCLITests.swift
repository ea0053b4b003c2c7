import Foundation
import PassportModel
import PassportTestSupport
import Testing

/// The command line as a newcomer meets it: the README's tour and the demo's suggestions work as
/// printed, bad arguments get the verb's usage and exit 64, bulk verbs say what they did.
@Suite("dpp for a newcomer", .serialized)
struct OperatorExperienceCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }

    func dpp(_ args: String..., stdin: String? = nil) throws -> CLI.Result {
        try CLI.run(args + ["--store", store], stdin: stdin, in: dir.url)
    }

    /// A bash script that runs `lines` in order and stops at the first whose exit code is not the
    /// one its `# exit N` comment names (0 without one), saying which.
    static func checkedScript(_ lines: [String]) -> String {
        var script = "set -u\n"
        for (i, line) in lines.enumerated() {
            let expected = line.range(of: #"#\s*exit (\d+)\s*$"#, options: .regularExpression)
                .flatMap { Int(line[$0].filter(\.isNumber)) } ?? 0
            script += line + "\n"
            script += "rc=$?; if [ $rc -ne \(expected) ]; then echo \"line \(i + 1) exited $rc, expected \(expected)\" >&2; exit 1; fi\n"
        }
        return script
    }

    @Test("the README's tour runs as written on a fresh store")
    func readmeTour() throws {
        if let stale = CLI.staleness { throw CLI.StaleExecutable(description: stale) }
        let readme = try String(contentsOf: CLI.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let tour = try #require(readme.range(of: "## A short tour"))
        let start = try #require(readme.range(of: "```sh\n", range: tour.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let lines = readme[start.upperBound..<end.lowerBound].split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count > 30)
        #expect(lines.contains { $0.hasPrefix("dpp types") }, "the tour points a newcomer to dpp types")
        // The tour starts from the repository's folder; put this build's dpp first on the PATH as its first line does.
        let path = CLI.executable.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let r = try CLI.runProcess(
            URL(fileURLWithPath: "/bin/bash"), ["-c", Self.checkedScript(lines)], in: CLI.packageRoot, environment: ["PATH": path, "HOME": dir.url.path, "TMPDIR": dir.url.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("#1 resolved: the correction is record"))
        #expect(r.stdout.contains("verified: record"))
        #expect(r.stdout.contains("intact:"))
    }

    @Test("the commands the demo prints work as printed, from another folder")
    func demoSuggestions() throws {
        let demo = try CLI.run(["demo", "--store", dir.path("demo-store").path], in: dir.url)
        #expect(demo.status == 0, "\(demo.stderr)")
        // One input of every connector goes in, and is appended.
        for input in ["erp-changes.jsonl:1", "pack-bom-rev-C.json", "shipments.jsonld[0]", "attestations.csv:2", "iec62619-certificate.pdf",
            "cellco-cmrt.xlsx", "bms-ipc1752a.xml#composition"]
        {
            #expect(demo.stdout.contains(input) && demo.stdout.split(separator: "\n").contains { $0.contains(input) && $0.contains("appended") },
                "the demo does not append \(input)")
        }
        // The recall: a module lot up to the packs, shipments and markets, with proofs.
        #expect(demo.stdout.contains("== A recall"))
        #expect(demo.stdout.contains("units per market: "), "\(demo.stdout)")
        let proofs = dir.path("demo-store/demo-input/recall-proof")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: proofs.path).filter { $0.hasSuffix(".tlog-proof") }.count) ?? 0 > 0)
        let tail = try #require(demo.stdout.range(of: "== Try it yourself"))
        let commands = demo.stdout[tail.upperBound...].split(separator: "\n").map(String.init).filter { $0.hasPrefix("/") }
        #expect(commands.count >= 7)
        #expect(!demo.stdout.contains("swift run"))
        let elsewhere = dir.path("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let r = try CLI.runProcess(URL(fileURLWithPath: "/bin/bash"), ["-c", Self.checkedScript(commands)], in: elsewhere)
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test("bad arguments: the verb's usage, the rule broken, exit 64 — everywhere")
    func badArguments() throws {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        let cases: [([String], String)] = [
            (["passport", "01/123"], "GTIN must be 14 digits"),
            (["passport", "01/09506000134352/21/%41"], "write 01/09506000134352/21/A"),
            (["passport", "01/09506000134352", "--as-of", "last tuesday"], "accepted: an RFC 3339 date-time"),
            (["passport", "diff", "01/09506000134352", "--from", "2026-13-01"], "accepted: an RFC 3339 date-time"),
            (["passport", "01/09506000134352", "--view", "admin"], "--view"),
            (["passport", "01/09506000134352", "--format", "yaml"], "--format"),
            (["history", "supplier/A B"], "invalid subject"),
            (["record", "twelve"], "<index>"),
            (["prove", "--index", "-1"], "--index"),
            (["audit", "trail", "01/09506000134352", "--field", "nonsense"], "not a passport field"),
            (["keys", "revoke", "plm"], "--reason"),
            (["keys", "add", "erp", "--valid-from", "soon"], "accepted: an RFC 3339 date-time"),
            (["policy", "show", "--as-of", "yesterday"], "accepted: an RFC 3339 date-time"),
            (["quarantine", "retry"], "give an entry ID or --all"),
            (["types", "widget.painted"], "unknown event type widget.painted"),
            (["schemas"], "--output"),
            (["passport", "01/09506000134352", "--prove", "identity.name"], "name the folder with --output DIR"),
            (["append", "--source", "plm", "--signed"], "exactly one of --source NAME or --signed"),
        ]
        for (args, text) in cases {
            let r = try CLI.run(args + ["--store", store], in: dir.url)
            #expect(r.status == 64, "dpp \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)")
            #expect(r.stderr.contains(text), "dpp \(args.joined(separator: " ")): \(r.stderr)")
            #expect(r.stderr.contains("Usage: dpp " + args.prefix { !$0.contains("/") && !$0.hasPrefix("-") && $0 != "twelve" && $0 != "widget.painted" && $0 != "plm" }.prefix(2).joined(separator: " ")),
                "dpp \(args.joined(separator: " ")) should show its own usage: \(r.stderr)")
        }
        // An unknown command is an error, with --help too, at any level.
        for args in [["frobnicate"], ["frobnicate", "--help"], ["keys", "rotate"], ["quarantine", "purge", "--help"]] {
            let r = try CLI.run(args, in: dir.url)
            #expect(r.status == 64 && r.stderr.contains("unknown command '\(args[args.count > 1 && args[1] != "--help" ? 1 : 0])'"), "\(args): \(r.stderr)")
        }
        // Help of a real command still works.
        #expect(try CLI.run(["quarantine", "fix", "--help"], in: dir.url).stdout.contains("Exit codes: 0 success"))
    }

    @Test("bulk verbs always end with a summary; an empty input and an empty quarantine say so")
    func summaries() throws {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        #expect(try dpp("keys", "add", "plm-windchill", "--kind", "plm").status == 0)
        let empty = try dpp("append", "--source", "plm-windchill", "-", stdin: "\n\n")
        #expect(empty.status == 0 && empty.stderr.contains("stdin: no events (the input is empty or only blank lines)"), "\(empty.stderr)")
        let none = try dpp("quarantine", "list")
        #expect(none.status == 0 && none.stdout.isEmpty && none.stderr.contains("no open quarantine entries"))
        let example = try dpp("types", "--example", "bom.released").stdout
        let mixed = try dpp("append", "--source", "plm-windchill", "-", stdin: example + example + "{oops\n" + #"{"type":"bom.released"}"# + "\n")
        #expect(mixed.status == 3)
        #expect(mixed.stderr.contains("stdin: 1 appended, 1 duplicate (nothing written), 2 rejected (invalid-event 1, malformed-json 1; kept in quarantine"), "\(mixed.stderr)")
        let list = try dpp("quarantine", "list").stdout
        #expect(list.contains("plm-windchill  stdin:3  malformed-json: not valid JSON"), "\(list)")
    }

    @Test("dpp types: every event type with its required fields, owners and an example that a fresh store accepts")
    func types() throws {
        let json = try dpp("types", "--format", "json").stdout.split(separator: "\n").map { try JSONParser.parse(String($0)).objectValue! }
        #expect(json.map { $0["type"]!.stringValue! } == EventCatalog.all.map(\.type))
        let bom = try #require(json.first { $0["type"] == "bom.released" })
        #expect(bom["required"]?.arrayValue?.contains("data.lines[].part") == true)
        #expect(bom["writes"]?.arrayValue?.first?.objectValue?["owners"] == ["plm"])
        let text = try dpp("types", "shipment.dispatched").stdout
        #expect(text.contains("writes:   logistics.shipments (owner tms/wms/erp; legitimate-interest), logistics.customsDocuments"), "\(text)")
        // Every example is accepted by a key of a kind that owns what it writes (overrides: a key with the override permission).
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        for kind in ["plm", "erp", "tms", "qa", "supplier"] { #expect(try dpp("keys", "add", kind, "--kind", kind).status == 0) }
        #expect(try dpp("keys", "add", "verifier", "--kind", "verifier", "--override").status == 0)
        for type in EventCatalog.all.map(\.type) {
            let writes = try #require(json.first { $0["type"]?.stringValue == type })["writes"]?.arrayValue ?? []
            let owners = writes.compactMap { $0.objectValue?["owners"]?.arrayValue?.compactMap(\.stringValue) }
            let source = EventCatalog.overrideTypes.contains(type) ? "verifier"
                : ["plm", "erp", "tms", "qa", "supplier"].first { k in owners.allSatisfy { $0.isEmpty || $0.contains(k) } } ?? "plm"
            let line = try dpp("types", "--example", type).stdout
            let r = try dpp("append", "--source", source, "-", stdin: line)
            #expect(r.status == 0, "\(type) by \(source): \(r.stdout)\(r.stderr)")
        }
        #expect(try dpp("verify").status == 0)
    }

    @Test("the text passport keeps field names whole and shows values in words")
    func textPassport() throws {
        let demo = try CLI.run(["demo", "--store", dir.path("demo-store").path], in: dir.url)
        #expect(demo.status == 0)
        let item = try #require(demo.stdout.range(of: #"01/\d{14}/21/[A-Z0-9]+"#, options: .regularExpression).map { String(demo.stdout[$0]) })
        let r = try CLI.runProcess(CLI.executable, ["passport", item, "--valid-at", "2027-02-01", "--view", "authority", "--store", dir.path("demo-store").path],
            environment: ["COLUMNS": "80"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("declarations[supplier/CELLCO:conflict-minerals]"))
        #expect(r.stdout.contains("conflict-minerals · scope: cobalt"))
        #expect(r.stdout.contains("status: expired") && r.stdout.contains("status: valid"))
        #expect(!r.stdout.contains("..."))
        for line in r.stdout.split(separator: "\n") where !line.hasPrefix("passport ") {
            #expect(line.count <= 80 || !line.contains(" "), "not wrapped to 80 columns: \(line)")
        }
    }
}
