import Foundation
import PassportAudit
import PassportIngest
import PassportModel
import PassportTestSupport
import Sodium
import Testing
@testable import PassportLedger

@Suite("Governance: ownership, permissions, overrides, quarantine, audit trail")
struct GovernanceTests {
    static let model = Fixtures.model

    func pcf(_ ref: String, _ total: Int, source: String, extra: JSONObject = [:]) -> JSONObject {
        Fixtures.eventJSON(type: "carbon-footprint.declared", source: source, sourceRef: ref,
            data: ["totalKgCO2e": .number(JSONNumber(total)), "method": "PEF"], extra: extra)
    }

    func append(_ ledger: Ledger, _ json: JSONObject, _ signer: NoteSigner) throws -> AppendOutcome {
        try ledger.appendSync([Fixtures.submission(try Fixtures.sign(json, with: signer))])[0]
    }

    func footprint(_ ledger: Ledger, asOf: Timestamp? = nil) throws -> PassportEntry? {
        try ledger.passport(try Subject(Self.model), asOf: asOf).entry("environment.carbonFootprint")
    }

    @Test("a non-owner's write is refused, naming the owners; owners' precedence decides the value shown")
    func ownershipAndPrecedence() throws {
        let dir = TemporaryDirectory()
        let (ledger, s) = try Fixtures.store(in: dir, sources: ["plm", "erp", "supplier-portal"])
        // The default policy: carbon footprint owned by PLM, then ERP; declarations by suppliers only.
        let bom = try append(ledger, Fixtures.eventJSON(source: "erp", sourceRef: "BOM-ERP"), s["erp"]!)
        guard case .rejected(let e, let q) = bom else {
            Issue.record("ERP must not write the BoM")
            return
        }
        #expect(e.code == .notPermitted)
        #expect(e.message.contains("source erp (kind erp) does not own composition.billOfMaterials (owners: plm)"))
        #expect(q != nil)
        #expect(try append(ledger, pcf("PCF-ERP", 130, source: "erp"), s["erp"]!).record != nil)
        #expect(try footprint(ledger)?.provenance.source == "erp")
        #expect(try append(ledger, pcf("PCF-PLM", 120, source: "plm"), s["plm"]!).record != nil)
        // ERP writes again, later, but PLM outranks it.
        #expect(try append(ledger, pcf("PCF-ERP-2", 140, source: "erp"), s["erp"]!).record != nil)
        let shown = try footprint(ledger)
        #expect(shown?.provenance.source == "plm")
        #expect(shown?.value.objectValue?["totalKgCO2e"] == 120)
        #expect(try ledger.verify().isIntact)
    }

    @Test("a policy change in the middle of a history: later events obey the new policy, earlier ones stay valid")
    func policyChangeMidHistory() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let (ledger, s) = try Fixtures.store(in: dir, sources: ["plm", "erp"], options: clock.options)
        #expect(try append(ledger, pcf("PCF-1", 130, source: "erp"), s["erp"]!).record != nil)
        clock.advance()
        let beforeChange = clock.now()
        clock.advance()
        var fields = OwnershipPolicy.default.fields
        fields["environment.carbonFootprint"] = ["plm"]
        let policyIndex = try ledger.setPolicy(OwnershipPolicy(fields: fields), reason: "carbon footprint from PLM only")
        let refused = try append(ledger, pcf("PCF-2", 131, source: "erp"), s["erp"]!)
        guard case .rejected(let e, _) = refused else {
            Issue.record("ERP write after the change must be refused")
            return
        }
        #expect(e.message.contains("does not own environment.carbonFootprint (owners: plm)"))
        // A redelivery of the event accepted before the change is still a duplicate, not a refusal.
        guard case .duplicate = try append(ledger, pcf("PCF-1", 130, source: "erp"), s["erp"]!) else {
            Issue.record("a redelivered accepted event must answer duplicate")
            return
        }
        // The old ERP record is judged by the policy in force when it was recorded.
        let report = try ledger.verify()
        #expect(report.isIntact, "\(String(describing: report.problem))")
        #expect(try ledger.policy(asOf: beforeChange).owners(of: "environment.carbonFootprint") == ["plm", "erp"])
        #expect(try ledger.policy().owners(of: "environment.carbonFootprint") == ["plm"])
        #expect(try ledger.policyHistory().map(\.index).last == policyIndex)
        #expect(try ledger.record(policyIndex).event.type == "policy.updated")
        // Bad policies are refused with every problem named.
        let bad = #expect(throws: PassportModel.ValidationError.self) {
            try OwnershipPolicy(json: ["fields": ["composition.bom": ["plm"], "identity.name": []]])
        }
        #expect(bad?.description.contains("fields.composition.bom: not a passport field") == true)
        #expect(bad?.description.contains("fields.identity.name: must be a non-empty array") == true)
    }

    @Test("a key whose permissions change: writes outside them are refused naming the permission, earlier ones stay valid")
    func permissionsChange() throws {
        let dir = TemporaryDirectory()
        let (ledger, s) = try Fixtures.store(in: dir, sources: ["plm"])
        #expect(try append(ledger, Fixtures.eventJSON(sourceRef: "BOM-1"), s["plm"]!).record != nil)
        try ledger.changePermissions("plm", to: Permissions(eventTypes: ["product.registered"], fields: ["identity.*"], override: false), reason: "PLM connector limited to identity")
        let refused = try append(ledger, Fixtures.eventJSON(sourceRef: "BOM-2"), s["plm"]!)
        guard case .rejected(let e, _) = refused else {
            Issue.record("expected a refusal")
            return
        }
        #expect(e.message.contains("may not write bom.released events (permitted: product.registered)"))
        #expect(e.message.contains("may not write composition.billOfMaterials (permitted fields: identity.*)"))
        let ok = Fixtures.eventJSON(type: "product.registered", sourceRef: "P-1", data: ["name": "Pack", "manufacturer": "Example"])
        #expect(try append(ledger, ok, s["plm"]!).record != nil)
        #expect(try ledger.keys().first { $0.vkey.name == "plm" }?.permissions.eventTypes == ["product.registered"])
        #expect(try ledger.verify().isIntact)
    }

    @Test("an override by an authorised non-owner stands until the owner writes again, or until withdrawn")
    func overrides() throws {
        let dir = TemporaryDirectory()
        let (ledger, s) = try Fixtures.store(in: dir, sources: ["plm", "erp"])
        try ledger.addKey(name: "compliance", permissions: Permissions(eventTypes: ["*"], fields: ["*"], override: true))
        let compliance = try ledger.sourceSigner("compliance")
        #expect(try append(ledger, pcf("PCF-1", 120, source: "plm"), s["plm"]!).record != nil)
        func override(_ ref: String, _ total: Int) -> JSONObject {
            Fixtures.eventJSON(type: "field.overridden", source: "compliance", sourceRef: ref, data: [
                "field": "environment.carbonFootprint", "value": ["totalKgCO2e": .number(JSONNumber(total)), "method": "PEF (corrected)"],
                "reason": "verifier found double counting in transport; PLM fix pending"])
        }
        // Without the override permission, a non-owner cannot override.
        let refused = try append(ledger, Fixtures.eventJSON(type: "field.overridden", source: "erp", sourceRef: "OV-ERP", data: [
            "field": "composition.billOfMaterials", "value": "x", "reason": "r"]), s["erp"]!)
        guard case .rejected(let e, _) = refused else {
            Issue.record("expected refusal")
            return
        }
        #expect(e.message.contains("lacks the override permission"))
        #expect(try append(ledger, override("OV-1", 99), compliance).record != nil)
        var shown = try #require(try footprint(ledger))
        #expect(shown.value.objectValue?["totalKgCO2e"] == 99)
        #expect(shown.overrideReason == "verifier found double counting in transport; PLM fix pending")
        #expect(shown.provenance.source == "compliance")
        let json = try ledger.passport(try Subject(Self.model)).json.objectValue!["provenance"]!.objectValue!["environment.carbonFootprint"]!
        #expect(json.objectValue?["override"]?.objectValue?["reason"]?.stringValue?.hasPrefix("verifier found") == true)
        // The owner writes the field again: the override no longer stands.
        #expect(try append(ledger, pcf("PCF-2", 101, source: "plm"), s["plm"]!).record != nil)
        shown = try #require(try footprint(ledger))
        #expect(shown.value.objectValue?["totalKgCO2e"] == 101)
        #expect(shown.overrideReason == nil)
        // A new override, then its withdrawal: the owner's value shows again.
        #expect(try append(ledger, override("OV-2", 98), compliance).record != nil)
        #expect(try footprint(ledger)?.value.objectValue?["totalKgCO2e"] == 98)
        let withdraw = Fixtures.eventJSON(type: "field.override-withdrawn", source: "compliance", sourceRef: "OV-2-W",
            data: ["field": "environment.carbonFootprint", "reason": "PLM published the fix"])
        #expect(try append(ledger, withdraw, compliance).record != nil)
        #expect(try footprint(ledger)?.value.objectValue?["totalKgCO2e"] == 101)
        // The audit trail shows every write of the field, with overrides and their reasons.
        let trail = try ledger.passportHistory(try Subject(Self.model), field: "environment.carbonFootprint", view: .authority, policy: .defaults)
        #expect(trail.map(\.0.event.sourceRef) == ["PCF-1", "OV-1", "PCF-2", "OV-2", "OV-2-W"])
        #expect(trail[1].1.first?.kind == .override(reason: "verifier found double counting in transport; PLM fix pending"))
        #expect(try ledger.verify().isIntact)
        // Overrides must name a real field, and the entry of a collection.
        let bad = try append(ledger, Fixtures.eventJSON(type: "field.overridden", source: "compliance", sourceRef: "OV-BAD",
            data: ["field": "logistics.shipments", "value": 1, "reason": "r"]), compliance)
        guard case .rejected(let e2, _) = bad else {
            Issue.record("expected a rejection")
            return
        }
        #expect(e2.message.contains("data.key: is required: logistics.shipments is a collection"))
    }

    @Test("quarantine retry after the policy was fixed; a discard is itself recorded in the log")
    func retryAfterPolicyFixAndRecordedDiscard() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["wms-east"])
        let line = #"{"type":"shipment.dispatched","subject":"01/09506000134352/10/L1","sourceRef":"SHP-1","createdAt":"2026-03-01T00:00:00Z","data":{"shipmentId":"SHP-1","destination":"FR","quantity":5}}"#
        let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: "wms-east", baseDirectory: nil))
        // The default policy lets wms write shipments; this deployment's policy forgot it.
        var fields = OwnershipPolicy.default.fields
        fields["logistics.shipments"] = ["tms"]
        try ledger.setPolicy(OwnershipPolicy(fields: fields), reason: "TMS only")
        guard case .rejected(let e, let q?) = try ledger.appendSync([ingestor.submission(line: Array(line.utf8), origin: "wms.jsonl:1")])[0] else {
            Issue.record("expected rejection")
            return
        }
        #expect(e.message.contains("does not own logistics.shipments"))
        fields["logistics.shipments"] = ["tms", "wms"]
        try ledger.setPolicy(OwnershipPolicy(fields: fields), reason: "WMS ships too")
        let retried = try ledger.retryQuarantine(id: q)
        #expect(retried.record != nil)
        #expect(try ledger.quarantineEntry(id: q).status == .resolved)
        // Discard: recorded as a signed system event with the bytes' hash and the reason.
        guard case .rejected(_, let q2?) = try ledger.appendSync([ingestor.submission(line: Array("garbage".utf8), origin: "wms.jsonl:2")])[0] else {
            Issue.record("expected a rejection")
            return
        }
        let index = try ledger.discardQuarantine(id: q2, reason: "connector test message")
        let r = try ledger.record(index)
        #expect(r.event.type == "quarantine.discarded")
        #expect(r.event.data["reason"] == "connector test message")
        #expect(r.event.data["sha256"]?.stringValue == Hex.encode(SHA256.hash(Array("garbage".utf8))))
        #expect(try ledger.quarantineEntry(id: q2).status == .discarded)
        #expect(try ledger.verify().isIntact)
    }
}
