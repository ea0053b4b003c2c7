import Foundation
import PassportAudit
import PassportDemoData
import PassportModel
import PassportTestSupport
import Testing

@Suite("dpp passport", .serialized)
struct PassportCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }

    func dpp(_ args: String...) throws -> CLI.Result { try CLI.run(args + ["--store", store], in: dir.url) }

    /// A store with the demo data set, appended through the command line.
    func setUp() throws -> DemoDataSet {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        let data = DemoDataSet()
        for (source, events) in data.events {
            #expect(try dpp("keys", "add", source).status == 0)
            let file = dir.path("\(source).jsonl")
            try Data(events.map { CanonicalJSON.string(.object($0)) }.joined(separator: "\n").utf8).write(to: file)
            let r = try dpp("append", "--source", source, file.path)
            #expect(r.status == 0, "\(r.stdout)")
        }
        return data
    }

    @Test func showsAPassportAtTwoDatesWithProvenanceAndTiers() throws {
        let data = try setUp()
        let item = data.items[0]
        let pub = try dpp("passport", item, "--valid-at", "2027-05-01T00:00:00Z")
        #expect(pub.status == 0, "\(pub.stderr)")
        #expect(pub.stdout.contains("view public"))
        #expect(pub.stdout.contains("identity.status") && pub.stdout.contains("recalled"))
        #expect(!pub.stdout.contains("composition.billOfMaterials"))
        let auth = try dpp("passport", item, "--valid-at", "2027-05-01T00:00:00Z", "--view", "authority", "--format", "json")
        let json = try JSONParser.parse(auth.stdout).objectValue!
        #expect(json["view"] == "authority")
        let passport = json["passport"]!.objectValue!
        #expect(passport["composition"]?.objectValue?["billOfMaterials"]?.objectValue?["revision"] == "B")
        #expect(passport["compliance"]?.objectValue?["testReports"]?.objectValue?["TR-2026-0"] != nil)
        let earlier = try JSONParser.parse(try dpp("passport", item, "--valid-at", "2026-12-01T00:00:00Z", "--view", "authority", "--format", "json").stdout)
        #expect(earlier.objectValue?["passport"]?.objectValue?["composition"]?.objectValue?["billOfMaterials"]?.objectValue?["revision"] == "A")
        let provenance = json["provenance"]!.objectValue!
        #expect(provenance["composition.billOfMaterials"]?.objectValue?["sourceRef"] == "ECN-PACK-0-B")
        // Unknown subject, malformed identifier, unparsable date: clear errors.
        let unknown = try dpp("passport", "01/09506000134352")
        #expect(unknown.status == 1 && unknown.stderr.contains("no passport for 01/09506000134352"))
        let malformed = try dpp("passport", "01/123")
        #expect(malformed.status == 64 && malformed.stderr.contains("GTIN must be 14 digits"))
        let badDate = try dpp("passport", item, "--as-of", "last tuesday")
        #expect(badDate.status == 64 && badDate.stderr.contains("--as-of"))
        let badTier = try dpp("passport", item, "--view", "admin")
        #expect(badTier.status == 64)
    }

    @Test func proveWritesAVerifiableRecordAndBundle() throws {
        let data = try setUp()
        let out = dir.path("proof").path
        let r = try dpp("passport", data.items[0], "--valid-at", "2027-05-01T00:00:00Z", "--prove", "environment.carbonFootprint", "--output", out)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("set by record"))
        let files = try FileManager.default.contentsOfDirectory(atPath: out)
        let record = try #require(files.first { $0.hasSuffix(".json") })
        let proof = try #require(files.first { $0.hasSuffix(".tlog-proof") })
        let audit = try CLI.run(["audit", "verify", "--vkey", "\(out)/ledger.vkey", "--proof", "\(out)/\(proof)", "--record", "\(out)/\(record)"])
        #expect(audit.status == 0, "\(audit.stderr)")
        let recordJSON = try Record(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(record)")).dropLast()))
        #expect(recordJSON.event.type == "carbon-footprint.declared")
        #expect(recordJSON.event.sourceRef == "PCF-0-2027")
        // A field above the view's tier cannot be proven from that view.
        let hidden = try dpp("passport", data.items[0], "--prove", "composition.billOfMaterials", "--output", out)
        #expect(hidden.status == 1 && hidden.stderr.contains("no value composition.billOfMaterials in this view"))
    }

    @Test func diffHistoryAndReindex() throws {
        let data = try setUp()
        let model = data.models[0]
        let before = Timestamp.now()
        usleep(2000)
        let correction = #"{"type":"carbon-footprint.declared","subject":"\#(model)","sourceRef":"PCF-0-2026-CORR","createdAt":"2026-11-26T08:00:00Z","validFrom":"2026-08-01T00:00:00Z","data":{"totalKgCO2e":120.5,"method":"PEFCR rechargeable batteries v1.2"}}"#
        let a = try CLI.run(["append", "--source", "plm-windchill", "--store", store], stdin: correction, in: dir.url)
        #expect(a.status == 0)
        let diff = try dpp("passport", "diff", model, "--from", before.description, "--to", Timestamp.now().description, "--format", "json")
        #expect(diff.status == 0, "\(diff.stderr)")
        let changes = diff.stdout.split(separator: "\n").map { try! JSONParser.parse(String($0)).objectValue! }
        #expect(changes.count == 1)
        #expect(changes.first?["path"] == "environment.carbonFootprint")
        #expect(changes.first?["provenance"]?.objectValue?["sourceRef"] == "PCF-0-2026-CORR")
        #expect(changes.first?["provenance"]?.objectValue?["source"] == "plm-windchill")
        let history = try dpp("passport", "history", data.items[0], "--view", "legitimate-interest")
        #expect(history.stdout.contains("item.registered by erp-sap"))
        #expect(history.stdout.contains("sets logistics.shipments[SHP-000]"))
        let publicHistory = try dpp("passport", "history", data.items[0])
        #expect(publicHistory.status == 0 && publicHistory.stdout.contains("item.registered by erp-sap"))
        #expect(!publicHistory.stdout.contains("logistics.shipments"))
        let before2 = try dpp("passport", data.items[0], "--view", "authority", "--format", "json").stdout
        let r = try dpp("reindex")
        #expect(r.status == 0 && r.stdout.hasPrefix("reindexed "))
        let after2 = try dpp("passport", data.items[0], "--view", "authority", "--format", "json").stdout
        func strip(_ s: String) -> JSONValue {
            var o = try! JSONParser.parse(s).objectValue!
            o["asOf"] = nil
            o["validAt"] = nil
            return .object(o)
        }
        #expect(strip(before2) == strip(after2))
    }

    @Test("passports validate against the published passport schema", .enabled(if: CLITests.pythonSchemaCheck))
    func passportMatchesSchema() throws {
        let data = try setUp()
        let script = CLI.packageRoot.appendingPathComponent("scripts/validate-records.py").path
        for id in [data.items[0], data.batches[0], data.models[0], data.suppliers[0]] {
            let p = try dpp("passport", id, "--view", "authority", "--format", "json").stdout
            let r = try CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "passport.schema.json"], stdin: p)
            #expect(r.stdout == "1 valid\n", "\(id): \(r.stdout)")
        }
        // Every stored event validates against its type's schema.
        var byType: [String: [String]] = [:]
        for r in try dpp("export").stdout.split(separator: "\n") {
            let event = try JSONParser.parse(String(r)).objectValue!["event"]!
            guard let type = event.objectValue?["type"]?.stringValue, event.objectValue?["subject"] != "system" else { continue }
            byType[type, default: []].append(CanonicalJSON.string(event))
        }
        #expect(byType.count == 15)
        for (type, events) in byType {
            let v = try CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "events/\(type).schema.json"], stdin: events.joined(separator: "\n"))
            #expect(v.stdout == "\(events.count) valid\n", "\(type): \(v.stdout)")
        }
    }
}
