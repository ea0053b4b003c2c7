import Foundation
import PassportModel
import PassportTestSupport
import Sodium
import Testing

/// `dpp ingest bom|csv|document`: whole files in, one result line per item, rejected items kept and retried.
@Suite("dpp ingest bom, csv, document", .serialized)
struct FileIngestCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }
    static let fixtures = CLI.packageRoot.appendingPathComponent("Tests/PassportIngestTests/Fixtures/files")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    func dpp(_ args: [String], stdin: String? = nil) throws -> CLI.Result {
        try CLI.run(args + ["--store", store], stdin: stdin, in: dir.url)
    }

    func setUp() throws {
        #expect(try dpp(["init", "--origin", "cli.example/passports"]).status == 0)
        for k in ["plm-tc", "supplier-portal", "qa-lab"] { #expect(try dpp(["keys", "add", k]).status == 0) }
    }

    @Test("bom: one line per assembly; the same export again writes nothing; a draft is rejected with exit 3; blob get returns the export")
    func bom() throws {
        try setUp()
        let file = Self.fixture("pack-bom-rev-B.json")
        let first = try dpp(["ingest", "bom", "--source", "plm-tc", file])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("pack-bom-rev-B.json#09506000134352/B appended") && first.stdout.contains("pack-bom-rev-B.json#09506000134369/C appended"))
        #expect(first.stderr.contains("pack-bom-rev-B.json: 2 appended, 0 duplicates"))
        let again = try dpp(["ingest", "bom", "--source", "plm-tc", file])
        #expect(again.status == 0 && again.stderr.contains("0 appended, 2 duplicates"), "\(again.stderr)")
        let sha = Hex.encode(SHA256.hash([UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))))
        let blob = try dpp(["blob", "get", sha])
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(blob.status == 0 && blob.stdout == text)
        let p = try dpp(["passport", "01/09506000134352", "--valid-at", "2027-01-01", "--view", "authority", "--format", "json"])
        #expect(p.stdout.contains("\"revision\":\"B\""), "\(p.stdout)")

        let draft = dir.path("draft.csv")
        try Data("assembly,revision,lifecycle,effectiveFrom,part,quantity,massKg,material\n09506000134352,C,draft,2027-01-01,P,1,,steel\n".utf8).write(to: draft)
        let rejected = try dpp(["ingest", "bom", "--source", "plm-tc", draft.path])
        #expect(rejected.status == 3)
        #expect(rejected.stdout.contains("draft.csv#09506000134352/C rejected invalid-event quarantine=1: line 2: lifecycle: the BoM is a draft"), "\(rejected.stdout)")
        #expect(rejected.stdout.contains("line 2: massKg: is required"))
        let entry = try JSONParser.parse(try dpp(["quarantine", "show", "1", "--format", "json"]).stdout).objectValue!
        #expect(entry["intake"]?.objectValue?["connector"] == "bom" && entry["raw"]?.stringValue?.hasPrefix("assembly,revision") == true)
        #expect(try dpp(["verify"]).status == 0)
    }

    @Test("csv: good rows appended, a bad row rejected naming line and column, exit 3; --supplier is checked as an argument")
    func csv() throws {
        try setUp()
        let csv = dir.path("rc.csv")
        try Data(try String(contentsOfFile: Self.fixture("recycled-content.csv"), encoding: .utf8).replacingOccurrences(of: "ACME;ACME Metals GmbH;RC-2026-002", with: "AC ME;ACME Metals GmbH;RC-2026-002").utf8).write(to: csv)
        let r = try dpp(["ingest", "csv", "--source", "supplier-portal", "--mapping", Self.fixture("recycled-content.yaml"), csv.path])
        #expect(r.status == 3)
        #expect(r.stdout.contains("rc.csv:2 appended") && r.stdout.contains("rc.csv:4 appended"), "\(r.stdout)")
        #expect(r.stdout.contains("rc.csv:3 rejected invalid-event quarantine=1: line 3: supplier_id: a supplier is supplier/<id>"), "\(r.stdout)")
        #expect(r.stderr.contains("rc.csv: 2 appended, 0 duplicates (nothing written), 1 rejected"))
        let bad = try dpp(["ingest", "csv", "--source", "supplier-portal", "--mapping", Self.fixture("recycled-content.yaml"), "--supplier", "ACME", csv.path])
        #expect(bad.status == 64 && bad.stderr.contains("not a supplier"), "\(bad.stderr)")
    }

    @Test("document: the sidecar's metadata, the file as attachment; options win over the sidecar; missing metadata exits 3")
    func document() throws {
        try setUp()
        let pdf = Self.fixture("un38.3-certificate.pdf")
        let r = try dpp(["ingest", "document", "--source", "qa-lab", pdf, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try JSONParser.parse(String(r.stdout.split(separator: "\n")[0])).objectValue!
        let index = try #require(line["index"]?.numberValue).double
        let record = try JSONParser.parse(try dpp(["record", String(Int(index)), "--format", "json"]).stdout).objectValue!
        let sha = Hex.encode(SHA256.hash([UInt8](try Data(contentsOf: URL(fileURLWithPath: pdf)))))
        #expect(record["event"]?.objectValue?["data"]?.objectValue?["documentSha256"] == JSONValue.string(sha))
        let blob = try dpp(["blob", "get", sha])
        #expect(blob.status == 0 && blob.stdout.hasPrefix("%PDF-1.7\n") && blob.stdout.contains("certificate UN38.3-2026-17"))
        let file = dir.path("report.pdf")
        try Data("%PDF-1.7 report".utf8).write(to: file)
        let missing = try dpp(["ingest", "document", "--source", "qa-lab", "--subject", "01/09506000134352", "--type", "test-report", file.path])
        #expect(missing.status == 3 && missing.stdout.contains("report.pdf rejected invalid-event quarantine=1: id: is required"), "\(missing.stdout)")
        let ok = try dpp(["ingest", "document", "--source", "qa-lab", "--subject", "01/09506000134352", "--id", "TR-9", "--standard", "IEC 62619",
            "--result", "pass", "--issued", "2026-10-01", file.path])
        #expect(ok.status == 0 && ok.stdout.contains("report.pdf appended"), "\(ok.stderr)")
    }
}
