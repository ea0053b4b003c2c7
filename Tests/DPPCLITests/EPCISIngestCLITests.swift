import Foundation
import PassportModel
import PassportTestSupport
import Testing

/// `dpp ingest epcis`: GS1's example documents in, logistics facts out, every EPCIS event kept.
@Suite("dpp ingest epcis", .serialized)
struct EPCISIngestCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }
    static let fixtures = CLI.packageRoot.appendingPathComponent("Tests/PassportIngestTests/Fixtures/epcis")

    func dpp(_ args: [String], stdin: String? = nil) throws -> CLI.Result {
        try CLI.run(args + ["--store", store], stdin: stdin, in: dir.url)
    }

    @Test("GS1 examples: mapped once, kept whole, a re-sent document writes nothing; a refused event is kept and retried after a policy fix")
    func epcis() throws {
        #expect(try dpp(["init", "--origin", "cli.example/passports"]).status == 0)
        #expect(try dpp(["keys", "add", "wms", "--kind", "wms"]).status == 0)
        let docs = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).filter { $0.hasSuffix(".jsonld") }.sorted()
            .map { Self.fixtures.appendingPathComponent($0).path }
        let first = try dpp(["ingest", "epcis", "--source", "wms"] + docs)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Example_9.6.2-ObjectEvent.jsonld[0] appended"), "\(first.stdout)")
        #expect(first.stdout.contains("kept: error declaration"))
        let again = try dpp(["ingest", "epcis", "--source", "wms"] + docs)
        #expect(again.status == 0 && again.stderr.contains(": 0 appended"), "\(again.stderr)")
        #expect(again.stdout.contains("(already kept)"), "\(again.stdout)")
        // The EPCIS events the passport does not show are in the log too, signed by the ledger, with their bytes attached.
        let system = try dpp(["history", "system", "--format", "json"]).stdout.split(separator: "\n").map { try JSONParser.parse(String($0)).objectValue! }
        let kept = system.filter { $0["event"]?.objectValue?["type"] == "input.kept" }
        #expect(!kept.isEmpty && kept.allSatisfy { $0["event"]?.objectValue?["attachments"]?.arrayValue?.count == 1 })
        let sha = try #require(kept.first?["event"]?.objectValue?["data"]?.objectValue?["sha256"]?.stringValue)
        let blob = try dpp(["blob", "get", sha])
        #expect(blob.status == 0 && blob.stdout.contains("\"type\":"), "\(blob.stderr)")
        #expect(try dpp(["verify"]).status == 0)
        // They match the published schema of system events.
        try #require(CLITests.pythonSchemaCheck, "Python's jsonschema ≥ 4.18 is missing: run scripts/install-deps.sh --test")
        let events = kept.map { CanonicalJSON.string($0["event"]!) }
        let script = CLI.packageRoot.appendingPathComponent("scripts/validate-records.py").path
        let v = try CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "system-events.schema.json"], stdin: events.joined(separator: "\n"))
        #expect(v.stdout == "\(events.count) valid\n", "\(v.stdout)")

        // Commissioning an item with its lot writes identity.lot, which ERP owns under the default policy.
        let commissioning = #"""
            {"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-11-20T10:00:00Z",
             "epcisBody":{"eventList":[{"type":"ObjectEvent","eventID":"urn:uuid:6d0e7a4c-6a0e-4c77-9d7e-2d1c8e5b0001","eventTime":"2026-11-20T09:00:00Z","eventTimeZoneOffset":"+01:00",
              "epcList":["https://id.gs1.org/01/09506000134352/21/SN-9"],"action":"ADD","bizStep":"commissioning","ilmd":{"cbvmda:lotNumber":"LOT-9"}}]}}
            """#
        let refused = try dpp(["ingest", "epcis", "--source", "wms", "-"], stdin: commissioning)
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.contains("stdin[0] rejected not-permitted quarantine=1") && refused.stdout.contains("does not own identity.lot"), "\(refused.stdout)")
        let entry = try JSONParser.parse(try dpp(["quarantine", "show", "1", "--format", "json"]).stdout).objectValue!
        #expect(entry["intake"]?.objectValue?["connector"] == "epcis")
        #expect(entry["raw"]?.stringValue?.contains("urn:uuid:6d0e7a4c-6a0e-4c77-9d7e-2d1c8e5b0001") == true)
        // The operator lets WMS commission items; the kept EPCIS event is mapped again and appended.
        var policy = try JSONParser.parse(try dpp(["policy", "show"]).stdout).objectValue!
        var fields = policy["fields"]!.objectValue!
        fields["identity.lot"] = ["erp", "wms"]
        fields["identity.productionDate"] = ["erp", "wms"]
        policy["fields"] = .object(fields)
        try Data(CanonicalJSON.encode(.object(policy))).write(to: dir.path("policy.json"))
        #expect(try dpp(["policy", "set", "policy.json", "--reason", "WMS commissions serialised items"]).status == 0)
        let retried = try dpp(["quarantine", "retry", "1"])
        #expect(retried.status == 0 && retried.stdout.contains("#1 resolved: appended"), "\(retried.stdout)\(retried.stderr)")
        let item = try JSONParser.parse(try dpp(["passport", "01/09506000134352/21/SN-9", "--format", "json"]).stdout)
        #expect(item.objectValue?["passport"]?.objectValue?["identity"]?.objectValue?["lot"] == "LOT-9")
        #expect(try dpp(["verify"]).status == 0)
    }
}
