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

    /// The system time of the log's last record: a later append is recorded after it (no sleeping).
    func lastRecordedAt() throws -> Timestamp {
        let last = try #require(try dpp("export").stdout.split(separator: "\n").last)
        return try Timestamp(canonical: try #require(JSONParser.parse(String(last)).objectValue?["recordedAt"]?.stringValue))
    }

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

    @Test("--as-of before the subject's first record: not found, naming when it first appeared; diff from then adds everything")
    func passportBeforeTheSubjectExisted() throws {
        let data = try setUp()
        let item = data.items[0]
        let first = try #require(try dpp("export").stdout.split(separator: "\n").map { try JSONParser.parse(String($0)).objectValue! }
            .first { $0["subject"]?.stringValue == item })
        let recordedAt = try #require(first["recordedAt"]?.stringValue)
        let before = try dpp("passport", item, "--as-of", "2020-01-01T00:00:00Z")
        #expect(before.status == 1, "\(before.stdout)")
        #expect(before.stderr.contains("no passport for \(item) as of 2020-01-01T00:00:00.000000Z: the subject first appeared at \(recordedAt)"), "\(before.stderr)")
        #expect(before.stdout.isEmpty)
        let at = try dpp("passport", item, "--as-of", recordedAt)
        #expect(at.status == 0 && at.stdout.contains("identity.lot"), "\(at.stderr)")
        let diff = try dpp("passport", "diff", item, "--from", "2020-01-01T00:00:00Z", "--to", recordedAt)
        #expect(diff.status == 0 && diff.stdout.contains("added identity.lot"), "\(diff.stderr)")
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
        let before = try lastRecordedAt()
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

    @Test("no verb discloses a field above --view: show, diff, history, audit trail and --prove, over every field")
    func tiersHoldOnEveryVerb() throws {
        let data = try setUp()
        let item = data.items[0]
        let at = "2027-05-01T00:00:00Z"
        let policy = AccessPolicy.defaults
        func field(_ path: String) -> String { String(path.prefix { $0 != "[" }) }
        func lines(_ r: CLI.Result) -> [JSONObject] { r.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)).objectValue } }
        // Writes after T0 at every tier, for diff: a new name (public), a shipment (legitimate interest) with its customs document (authority).
        let t0 = try lastRecordedAt()
        let batch = data.batches[0]
        let later = [
            #"{"type":"shipment.dispatched","subject":"\#(batch)","sourceRef":"SHP-LATE","createdAt":"2027-04-01T00:00:00Z","data":{"shipmentId":"SHP-LATE","destination":"NO","quantity":5,"customsDocument":{"number":"MRN-LATE"}}}"#,
        ]
        #expect(try CLI.run(["append", "--source", "tms-logistics", "--store", store], stdin: later.joined(separator: "\n"), in: dir.url).status == 0)
        var recordTier: [Int: AccessTier] = [:]
        func tierOfRecord(_ index: Int) throws -> AccessTier {
            if let t = recordTier[index] { return t }
            let r = try dpp("record", String(index), "--format", "json")
            let t = policy.tier(toDisclose: try Record(bytes: Array(r.stdout.utf8.dropLast())).event)
            recordTier[index] = t
            return t
        }
        var refused: [AccessTier: Int] = [:]
        var proven: [AccessTier: Int] = [:]
        for tier in AccessTier.allCases {
            let show = try JSONParser.parse(try dpp("passport", item, "--valid-at", at, "--view", tier.rawValue, "--format", "json").stdout).objectValue!
            let paths = Array(show["provenance"]!.objectValue!.keys)
            #expect(!paths.isEmpty)
            for p in paths { #expect(policy.tier(of: field(p)) <= tier, "show \(tier): \(p)") }

            let diff = lines(try dpp("passport", "diff", item, "--from", t0.description, "--to", Timestamp.now().description, "--view", tier.rawValue, "--format", "json"))
            for c in diff { #expect(policy.tier(of: field(c["path"]!.stringValue!)) <= tier, "diff \(tier): \(c)") }
            #expect(diff.contains { $0["path"] == "logistics.customsDocuments[SHP-LATE]" } == (tier == .authority))
            #expect(diff.contains { $0["path"] == "logistics.shipments[SHP-LATE]" } == (tier >= .legitimateInterest))

            let history = lines(try dpp("passport", "history", item, "--view", tier.rawValue, "--format", "json"))
            #expect(!history.isEmpty)
            for h in history {
                for f in h["fields"]!.arrayValue! { #expect(policy.tier(of: field(f.stringValue!)) <= tier, "history \(tier): \(f)") }
            }

            let trail = lines(try dpp("audit", "trail", item, "--view", tier.rawValue, "--format", "json"))
            #expect(!trail.isEmpty)
            for t in trail {
                for f in t["fields"]!.arrayValue! {
                    let path = f.objectValue!["path"]!.stringValue!
                    #expect(policy.tier(of: field(path)) <= tier, "trail \(tier): \(path)")
                }
                if t["documents"] != nil { #expect(try tierOfRecord(t["index"]!.numberValue!.intValue!) <= tier, "trail \(tier) documents of \(t)") }
            }

            for (i, path) in paths.enumerated() {
                let out = dir.path("prove-\(tier.rawValue)-\(i)").path
                let r = try dpp("passport", item, "--valid-at", at, "--view", tier.rawValue, "--prove", path, "--output", out)
                let index = show["provenance"]!.objectValue![path]!.objectValue!["index"]!.numberValue!.intValue!
                if try tierOfRecord(index) <= tier {
                    #expect(r.status == 0, "prove \(path) at \(tier): \(r.stderr)")
                    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(out)/record-\(index).json")).dropLast())
                    for f in Fact.of(try Record(bytes: bytes)) { #expect(policy.tier(of: f.field) <= tier, "prove \(path) at \(tier) disclosed \(f.field)") }
                    proven[tier, default: 0] += 1
                } else {
                    #expect(r.status == 1 && r.stderr.contains("prove it with --view"), "prove \(path) at \(tier): \(r.stderr)")
                    let written = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
                    #expect(written.isEmpty, "a refused proof wrote \(written)")
                    refused[tier, default: 0] += 1
                }
            }
        }
        // Both answers occur where they should: the public view cannot prove everything it shows; authority can.
        #expect((refused[.public] ?? 0) > 0 && (proven[.public] ?? 0) > 0)
        #expect(refused[.authority] == nil && (proven[.authority] ?? 0) > 0)
    }

    @Test("--prove never overwrites: an auditor's pinned ledger.vkey stays as it was")
    func proveNeverOverwrites() throws {
        let data = try setUp()
        let out = dir.path("pinned")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("pinned key\n".utf8).write(to: out.appendingPathComponent("ledger.vkey"))
        let r = try dpp("passport", data.items[0], "--prove", "identity.lot", "--output", out.path)
        #expect(r.status == 1 && r.stderr.contains("ledger.vkey already exists; nothing was written"), "\(r.stderr)")
        #expect(try String(contentsOf: out.appendingPathComponent("ledger.vkey"), encoding: .utf8) == "pinned key\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["ledger.vkey"])
        let fresh = dir.path("fresh").path
        #expect(try dpp("passport", data.items[0], "--prove", "identity.lot", "--output", fresh).status == 0)
        let again = try dpp("passport", data.items[0], "--prove", "identity.lot", "--output", fresh)
        #expect(again.status == 1 && again.stderr.contains("already exist"))
    }

    @Test("passports validate against the published passport schema")
    func passportMatchesSchema() throws {
        try #require(CLITests.pythonSchemaCheck, "Python's jsonschema ≥ 4.18 with referencing is missing: run scripts/install-deps.sh --test (./test.sh does)")
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
        // Every event type but the override pair (the demo data has no overrides).
        #expect(Set(byType.keys) == Set(EventCatalog.all.map(\.type)).subtracting(EventCatalog.overrideTypes), "\(byType.keys.sorted())")
        for (type, events) in byType {
            let v = try CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "events/\(type).schema.json"], stdin: events.joined(separator: "\n"))
            #expect(v.stdout == "\(events.count) valid\n", "\(type): \(v.stdout)")
        }
    }
}
