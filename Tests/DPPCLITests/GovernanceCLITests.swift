import Foundation
import PassportModel
import PassportTestSupport
import Testing

@Suite("dpp policy, permissions and audit trail", .serialized)
struct GovernanceCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }

    func dpp(_ args: String..., stdin: String? = nil) throws -> CLI.Result { try CLI.run(args + ["--store", store], stdin: stdin, in: dir.url) }

    static func pcf(_ ref: String, _ total: Int, extra: String = "") -> String {
        #"{"type":"carbon-footprint.declared","subject":"01/09506000134352","sourceRef":"\#(ref)","createdAt":"2026-11-20T10:00:00Z","data":{"totalKgCO2e":\#(total),"method":"PEF"}\#(extra)}"#
    }

    @Test func policyPermissionsOverridesAndTrail() throws {
        #expect(try dpp("init", "--origin", "gov.example/passports").status == 0)
        let shown = try dpp("policy")
        #expect(shown.status == 0)
        #expect(try OwnershipPolicy(json: try JSONParser.parse(shown.stdout)) == OwnershipPolicy.default)
        #expect(try dpp("keys", "add", "plm-windchill").status == 0)
        #expect(try dpp("keys", "add", "erp-sap").status == 0)
        #expect(try dpp("keys", "add", "compliance-office", "--kind", "compliance", "--override").status == 0)
        let list = try dpp("keys", "list")
        #expect(list.stdout.contains("kind erp") && list.stdout.contains("may override"))

        // ERP may not write the BoM under the default policy.
        let bom = #"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"BOM-1","createdAt":"2026-11-20T10:00:00Z","data":{"revision":"A","lifecycle":"released","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"}]}}"#
        let refused = try dpp("append", "--source", "erp-sap", stdin: bom)
        #expect(refused.status == 3)
        #expect(refused.stdout.contains("rejected not-permitted quarantine=1: source erp-sap (kind erp) does not own composition.billOfMaterials (owners: plm)"))

        #expect(try dpp("append", "--source", "plm-windchill", stdin: Self.pcf("PCF-1", 120)).status == 0)
        let override = #"{"type":"field.overridden","subject":"01/09506000134352","sourceRef":"OV-1","createdAt":"2026-11-21T10:00:00Z","data":{"field":"environment.carbonFootprint","value":{"totalKgCO2e":99,"method":"PEF"},"reason":"verifier correction"}}"#
        #expect(try dpp("append", "--source", "compliance-office", stdin: override).status == 0)
        let passport = try dpp("passport", "01/09506000134352", "--format", "json")
        let prov = try JSONParser.parse(passport.stdout).objectValue!["provenance"]!.objectValue!["environment.carbonFootprint"]!.objectValue!
        #expect(prov["override"]?.objectValue?["reason"] == "verifier correction")

        // Restrict PLM: only identity fields.
        let permit = try dpp("keys", "permit", "plm-windchill", "--event-types", "product.registered", "--fields", "identity.*", "--reason", "identity only")
        #expect(permit.status == 0, "\(permit.stderr)")
        let denied = try dpp("append", "--source", "plm-windchill", stdin: Self.pcf("PCF-2", 118))
        #expect(denied.status == 3)
        #expect(denied.stdout.contains("may not write carbon-footprint.declared events"))

        // A new policy from a file; a bad one is refused with its problems named.
        var fields = OwnershipPolicy.default.fields
        fields["composition.*"] = ["plm", "erp"]
        try Data(CanonicalJSON.encode(OwnershipPolicy(fields: fields).json)).write(to: dir.path("policy.json"))
        let set = try dpp("policy", "set", "policy.json", "--reason", "ERP may release BoMs for spare parts")
        #expect(set.status == 0 && set.stdout.hasPrefix("policy recorded as record "))
        #expect(try dpp("policy", "history").stdout.split(separator: "\n").count == 2)
        try Data(#"{"fields":{"nonsense":["plm"]}}"#.utf8).write(to: dir.path("bad.json"))
        let bad = try dpp("policy", "set", "bad.json", "--reason", "x")
        #expect(bad.status == 1 && bad.stderr.contains("fields.nonsense: not a passport field"))
        #expect(try dpp("quarantine", "retry").status == 64)
        #expect(try dpp("quarantine", "retry", "--all").stdout.contains("#1 resolved: appended"))

        // The audit trail of one field: who wrote it, when, with which key, overrides and reasons.
        let trail = try dpp("audit", "trail", "01/09506000134352", "--field", "environment.carbonFootprint")
        #expect(trail.status == 0)
        let lines = trail.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("plm-windchill [plm-windchill+") && $0.contains("carbon-footprint.declared PCF-1") })
        #expect(lines.contains { $0.contains("environment.carbonFootprint  — override: verifier correction") })
        let json = try dpp("audit", "trail", "01/09506000134352", "--format", "json", "--view", "legitimate-interest")
        #expect(json.stdout.split(separator: "\n").count == 3)  // PCF-1, OV-1, BOM-1 (the retried BoM)
        // The public view does not list the legitimate-interest bill of materials.
        let publicTrail = try dpp("audit", "trail", "01/09506000134352", "--format", "json")
        #expect(publicTrail.stdout.split(separator: "\n").count == 2)
        #expect(!publicTrail.stdout.contains("composition.billOfMaterials"))
        #expect(try dpp("audit", "trail", "01/09506000134352", "--field", "nonsense").status == 64)
        #expect(try dpp("verify").status == 0)
        // Every governance event matches the published schema of system events.
        #expect(CLITests.pythonSchemaCheck, "Python's jsonschema ≥ 4.18 with referencing is missing: run scripts/install-deps.sh --test (./test.sh does)")
        if CLITests.pythonSchemaCheck {
            let discarded = try dpp("quarantine", "discard", "2", "--reason", "connector test message")
            #expect(discarded.status == 0, "\(discarded.stderr)")
            let system = try dpp("history", "system", "--format", "json").stdout.split(separator: "\n")
                .map { CanonicalJSON.string(try! JSONParser.parse(String($0)).objectValue!["event"]!) }
            let script = CLI.packageRoot.appendingPathComponent("scripts/validate-records.py").path
            let v = try CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "system-events.schema.json"], stdin: system.joined(separator: "\n"))
            #expect(v.stdout == "\(system.count) valid\n", "\(v.stdout)")
            #expect(Set(system.map { try! JSONParser.parse($0).objectValue!["type"]!.stringValue! })
                == ["key.registered", "policy.updated", "key.permissions-changed", "quarantine.discarded"])
        }
    }
}
