import Foundation
import PassportDemoData
import PassportModel
import PassportTestSupport
import Sodium
import Testing

/// `dpp ingest cmrt|ipc1752`: supplier documents in, one result line per event, rejected ones kept by path and retried.
@Suite("dpp ingest cmrt, ipc1752", .serialized)
struct DocumentConnectorsCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }
    static let ipcFixture = CLI.packageRoot.appendingPathComponent("Tests/PassportIngestTests/Fixtures/files/ipc1752-bms.xml").path

    func dpp(_ args: [String]) throws -> CLI.Result {
        try CLI.run(args + ["--store", store], in: dir.url)
    }

    func setUp() throws {
        #expect(try dpp(["init", "--origin", "cli.example/passports"]).status == 0)
        for k in ["plm-tc", "supplier-portal"] { #expect(try dpp(["keys", "add", k]).status == 0) }
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = dir.path(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test("cmrt: the workbook appended for --supplier, again a duplicate; not a CMRT is exit 3; no supplier is a usage error")
    func cmrt() throws {
        try setUp()
        let file = try write(try XLSXFixture.workbook(XLSXFixture.cmrt()), "acme-cmrt.xlsx")
        let first = try dpp(["ingest", "cmrt", "--source", "supplier-portal", "--supplier", "supplier/ACME", file])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("acme-cmrt.xlsx appended"), "\(first.stdout)")
        let again = try dpp(["ingest", "cmrt", "--source", "supplier-portal", "--supplier", "supplier/ACME", file])
        #expect(again.status == 0 && again.stderr.contains("0 appended, 1 duplicate"), "\(again.stderr)")
        let p = try dpp(["passport", "supplier/ACME", "--valid-at", "2026-06-01", "--view", "authority", "--format", "json"])
        let sha = Hex.encode(SHA256.hash([UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))))
        #expect(p.stdout.contains("RMI CMRT 6.5") && p.stdout.contains(sha), "\(p.stdout)")

        let invoice = try write(try XLSXFixture.workbook([("Sheet1", ["A1": .text("Invoice")])]), "invoice.xlsx")
        let rejected = try dpp(["ingest", "cmrt", "--source", "supplier-portal", "--supplier", "supplier/ACME", invoice])
        #expect(rejected.status == 3)
        #expect(rejected.stdout.contains("invoice.xlsx rejected") && rejected.stdout.contains("the workbook is not a CMRT"), "\(rejected.stdout)")
        let usage = try dpp(["ingest", "cmrt", "--source", "supplier-portal", file])
        #expect(usage.status == 64 && usage.stderr.contains("--supplier supplier/<id> or --suppliers FILE"), "\(usage.stderr)")
        #expect(try dpp(["verify"]).status == 0)
    }

    @Test("cmrt --suppliers: an unmapped company ID is kept in quarantine by path; after the mapping is fixed, quarantine retry appends it")
    func cmrtSuppliers() throws {
        try setUp()
        let file = try write(try XLSXFixture.workbook(XLSXFixture.cmrt(strings: .inline)), "acme.xlsx")
        let map = try write(Array(#"{"DUNS-1": "supplier/OTHER"}"#.utf8), "suppliers.json")
        let r = try dpp(["ingest", "cmrt", "--source", "supplier-portal", "--suppliers", map, file])
        #expect(r.status == 3 && r.stdout.contains("acme.xlsx rejected invalid-event quarantine=1"), "\(r.stdout)")
        #expect(r.stdout.contains("company unique ID \"DUNS-123456789\" is not in the suppliers file"))
        _ = try write(Array(#"{"DUNS-123456789": "supplier/ACME"}"#.utf8), "suppliers.json")
        let retry = try dpp(["quarantine", "retry", "1"])
        #expect(retry.status == 0 && retry.stdout.contains("resolved"), "\(retry.stdout) \(retry.stderr)")
        #expect(try dpp(["passport", "supplier/ACME", "--valid-at", "2026-06-01", "--view", "authority", "--format", "json"]).stdout.contains("conflict-minerals"))
    }

    @Test("ipc1752: the supplier's declaration appended; the composition refused by the default policy (PLM owns it) and retried after a policy change")
    func ipc1752() throws {
        try setUp()
        let r = try dpp(["ingest", "ipc1752", "--source", "supplier-portal", "--subject", "01/09506000134352", Self.ipcFixture])
        #expect(r.status == 3)
        #expect(r.stdout.contains("ipc1752-bms.xml#declaration appended"), "\(r.stdout)")
        #expect(r.stdout.contains("ipc1752-bms.xml#composition rejected") && r.stdout.contains("does not own composition.materials"), "\(r.stdout)")
        var fields = OwnershipPolicy.default.fields
        fields["composition.*"] = ["plm", "supplier"]
        try Data(CanonicalJSON.encode(OwnershipPolicy(fields: fields).json)).write(to: dir.path("policy.json"))
        #expect(try dpp(["policy", "set", "policy.json", "--reason", "suppliers declare material compositions"]).status == 0)
        let retry = try dpp(["quarantine", "retry", "1"])
        #expect(retry.status == 0 && retry.stdout.contains("resolved"), "\(retry.stdout) \(retry.stderr)")
        let p = try dpp(["passport", "01/09506000134352", "--valid-at", "2027-01-01", "--view", "authority", "--format", "json"])
        #expect(p.stdout.contains("7439-92-1") && p.stdout.contains("Solder alloy SnAgCu"), "\(p.stdout)")
        let missing = try dpp(["ingest", "ipc1752", "--source", "supplier-portal", Self.ipcFixture])
        #expect(missing.status == 64 && missing.stderr.contains("--subject 01/<GTIN>"))
        let dtd = try write(Array("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><MainDeclaration version=\"2.0\">&e;</MainDeclaration>".utf8), "evil.xml")
        let evil = try dpp(["ingest", "ipc1752", "--source", "supplier-portal", "--subject", "01/09506000134352", dtd])
        #expect(evil.status == 3 && evil.stdout.contains("evil.xml rejected") && evil.stdout.contains("DTD"), "\(evil.stdout)")
    }
}
