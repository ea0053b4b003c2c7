import Foundation
import Testing
@testable import PassportModel

@Suite("Passport model: event types, rules, projection semantics")
struct PassportModelTests {
    static func t(_ s: String) -> Timestamp { try! Timestamp(rfc3339: s) }

    static func event(_ type: String, subject: String = "01/09506000134352", data: JSONValue, extra: JSONObject = [:]) throws -> Event {
        var o: JSONObject = ["type": .string(type), "subject": .string(subject), "source": "plm", "sourceRef": "R",
            "createdAt": "2026-01-01T00:00:00.000000Z", "data": data]
        for (k, v) in extra { o[k] = v }
        return try Event(json: .object(o))
    }

    @Test(arguments: [("7439-92-1", true), ("7732-18-5", true), ("21324-40-3", true), ("7440-48-4", true), ("7439-92-2", false), ("743-92-1", false), ("ABC", false)])
    func casNumbers(cas: String, valid: Bool) {
        #expect((Formats.casProblem(cas) == nil) == valid)
    }

    @Test func identifierAndCodeFormats() {
        #expect(Formats.problem("09506000134352", .gtin) == nil)
        #expect(Formats.problem("9506000134352", .gtin) == nil)  // GTIN-13
        #expect(Formats.problem("09506000134353", .gtin)?.contains("check digit") == true)
        #expect(Formats.problem("9501101020917", .gln) == nil)
        #expect(Formats.problem("9501101020918", .gln)?.contains("check digit 8, expected 7") == true)
        #expect(Formats.problem("FR", .country) == nil)
        #expect(Formats.problem("XX", .country) != nil)
        #expect(Formats.problem("fr", .country) != nil)
        #expect(Formats.problem("2026-02-29", .date) != nil)
    }

    @Test("every event type accepts valid data and names each broken rule")
    func eventTypes() throws {
        let bom: JSONValue = ["revision": "A", "lifecycle": "draft", "lines": [["part": "P", "quantity": 0, "massKg": -1, "material": "steel", "supplier": "facility/X"]]]
        let v = EventCatalog.validate(try Self.event("bom.released", data: bom))
        let text = v.map(\.description)
        #expect(text.contains("data.lines[0].massKg: must not be negative (got -1)"))
        // Schema violations are reported first; once the schema holds, the rules run.
        let bom2: JSONValue = ["revision": "A", "lifecycle": "draft", "lines": [["part": "P", "quantity": 0, "massKg": 1, "material": "steel", "supplier": "facility/X"]]]
        let text2 = EventCatalog.validate(try Self.event("bom.released", data: bom2)).map(\.description)
        #expect(text2 == [
            "data.lifecycle: only released BoMs may be published (got \"draft\")",
            "data.lines[0].quantity: must be greater than 0 (got 0)",
            "data.lines[0].supplier: must be a supplier/<id> subject (got \"facility/X\")",
        ])
        let line: JSONValue = ["part": "P"]
        let incomplete = EventCatalog.validate(try Self.event("bom.released", data: ["revision": "A", "lifecycle": "released", "lines": [line]])).map(\.description)
        #expect(incomplete == ["data.lines[0].quantity: is required", "data.lines[0].massKg: is required", "data.lines[0].material: is required"])
        let decl = EventCatalog.validate(try Self.event("declaration.recorded", subject: "supplier/ACME", data: ["kind": "conflict-minerals", "scope": "tin"]))
        #expect(decl.map(\.description) == ["validFrom: a declaration needs validFrom", "validUntil: a declaration needs validUntil"])
        let wrongSubject = EventCatalog.validate(try Self.event("declaration.recorded", data: ["kind": "conflict-minerals", "scope": "tin"]))
        #expect(wrongSubject.first?.description.contains("declaration.recorded is about a supplier, not a model") == true)
        let ship = EventCatalog.validate(try Self.event("shipment.dispatched", data: ["shipmentId": "S", "destination": "EU", "quantity": 1.5, "colour": "red"]))
        #expect(Set(ship.map(\.path)) == ["data.colour", "data.destination", "data.quantity"])
        #expect(EventCatalog.validate(try Self.event("shipment.dispatched", data: ["shipmentId": "S", "destination": "FR", "quantity": 3])).isEmpty)
    }

    static func fact(_ field: String, _ value: JSONValue, index: UInt64, recorded: String, from: String? = nil, until: String? = nil, key: String? = nil) -> Fact {
        Fact(field: field, key: key, value: value, validFrom: from.map(t), validUntil: until.map(t),
            provenance: Provenance(index: index, subject: "01/09506000134352", source: "plm", sourceRef: "R\(index)", type: "x", recordedAt: t(recorded)))
    }

    @Test("the winner is the latest validFrom, ties to the later record; asOf hides later records")
    func winnerRules() {
        let facts = [
            Self.fact("composition.billOfMaterials", "A", index: 1, recorded: "2026-01-10T00:00:00Z", from: "2026-01-01T00:00:00Z"),
            Self.fact("composition.billOfMaterials", "B", index: 2, recorded: "2026-03-10T00:00:00Z", from: "2026-07-01T00:00:00Z"),
            Self.fact("composition.billOfMaterials", "A2", index: 3, recorded: "2026-04-10T00:00:00Z", from: "2026-01-01T00:00:00Z"),
        ]
        func value(_ asOf: String, _ validAt: String) -> JSONValue? {
            Projector.project(facts, asOf: Self.t(asOf), validAt: Self.t(validAt)).first?.value
        }
        #expect(value("2026-12-01T00:00:00Z", "2026-05-01T00:00:00Z") == "A2")  // correction of A
        #expect(value("2026-12-01T00:00:00Z", "2026-08-01T00:00:00Z") == "B")  // B takes effect in July, correction or not
        #expect(value("2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z") == "A")  // before the correction was recorded
        #expect(value("2026-01-01T00:00:00Z", "2026-05-01T00:00:00Z") == nil)  // nothing recorded yet
        #expect(value("2026-12-01T00:00:00Z", "2025-12-01T00:00:00Z") == nil)  // nothing valid yet
    }

    @Test("expired facts drop out, except in collections that keep them as expired")
    func expiry() {
        let facts = [
            Self.fact("environment.carbonFootprint", "old", index: 1, recorded: "2026-01-01T00:00:00Z"),
            Self.fact("environment.carbonFootprint", "v2", index: 2, recorded: "2026-01-02T00:00:00Z", from: "2026-02-01T00:00:00Z", until: "2026-06-01T00:00:00Z"),
            Self.fact("declarations", ["status": "valid"], index: 3, recorded: "2026-01-02T00:00:00Z", from: "2026-01-01T00:00:00Z", until: "2026-06-01T00:00:00Z", key: "conflict-minerals"),
        ]
        let march = Projector.project(facts, asOf: Self.t("2026-12-01T00:00:00Z"), validAt: Self.t("2026-03-01T00:00:00Z"))
        let july = Projector.project(facts, asOf: Self.t("2026-12-01T00:00:00Z"), validAt: Self.t("2026-07-01T00:00:00Z"))
        #expect(march.first { $0.field == "environment.carbonFootprint" }?.value == "v2")
        #expect(july.first { $0.field == "environment.carbonFootprint" }?.value == "old")
        #expect(march.first { $0.field == "declarations" }?.value == ["status": "valid"])
        #expect(july.first { $0.field == "declarations" }?.value == ["status": "expired"])
    }

    @Test("an expired newer entry never hides an older one still in force; it shows, expired, only when nothing is in force")
    func expiredNewerDoesNotHideOlderInForce() {
        let facts = [
            Self.fact("manufacturing.certifications", ["scheme": "A"], index: 1, recorded: "2026-01-01T00:00:00Z", from: "2026-01-01T00:00:00Z",
                until: "2027-01-01T00:00:00Z", key: "C1"),
            Self.fact("manufacturing.certifications", ["scheme": "B"], index: 2, recorded: "2026-02-01T00:00:00Z", from: "2026-03-01T00:00:00Z",
                until: "2026-05-01T00:00:00Z", key: "C1"),
        ]
        func entry(_ validAt: String) -> JSONValue? {
            Projector.project(facts, asOf: Self.t("2027-06-01T00:00:00Z"), validAt: Self.t(validAt)).first?.value
        }
        #expect(entry("2026-02-01T00:00:00Z") == ["scheme": "A", "status": "valid"])
        #expect(entry("2026-04-01T00:00:00Z") == ["scheme": "B", "status": "valid"])  // the newer one, in force
        #expect(entry("2026-06-01T00:00:00Z") == ["scheme": "A", "status": "valid"])  // B expired, A still in force
        #expect(entry("2027-02-01T00:00:00Z") == ["scheme": "B", "status": "expired"])  // nothing in force: the latest, expired
        #expect(entry("2025-06-01T00:00:00Z") == nil)
        // A field that does not keep expired entries just drops the expired fact.
        let plain = facts.map { Fact(field: "logistics.shipments", key: $0.key, value: $0.value, validFrom: $0.validFrom, validUntil: $0.validUntil, provenance: $0.provenance) }
        #expect(Projector.project(plain, asOf: Self.t("2027-06-01T00:00:00Z"), validAt: Self.t("2027-02-01T00:00:00Z")).isEmpty)
    }

    @Test("certificates and test reports carry status valid while in force and expired after, like declarations")
    func everyKeptEntryHasAStatus() throws {
        let window: JSONObject = ["validFrom": "2026-01-01T00:00:00.000000Z", "validUntil": "2027-01-01T00:00:00.000000Z"]
        let cert = try Self.event("certification.recorded", data: ["id": "UN38.3", "scheme": "UN 38.3", "issuer": "Lab"], extra: window)
        let report = try Self.event("test-report.recorded", data: ["id": "TR-1", "standard": "IEC 62660-2", "result": "pass"], extra: window)
        for (event, field) in [(cert, "manufacturing.certifications"), (report, "compliance.testReports")] {
            #expect(PassportFields.byPath[field]?.keepsExpired == true)
            let facts = EventCatalog.spec(event.type)!.assignments(event).map {
                Fact(field: $0.field, key: $0.key, value: $0.value, validFrom: event.validFrom, validUntil: event.validUntil,
                    provenance: Provenance(index: 1, subject: event.subject.rawValue, source: "qa", sourceRef: "R", type: event.type, recordedAt: Self.t("2026-01-02T00:00:00Z")))
            }
            let during = try #require(Projector.project(facts, asOf: Self.t("2027-06-01T00:00:00Z"), validAt: Self.t("2026-06-01T00:00:00Z")).first)
            let after = try #require(Projector.project(facts, asOf: Self.t("2027-06-01T00:00:00Z"), validAt: Self.t("2027-02-01T00:00:00Z")).first)
            #expect(during.field == field && during.value.objectValue?["status"] == "valid")
            #expect(after.value.objectValue?["status"] == "expired")
            #expect(after.value.objectValue?["validUntil"] == "2027-01-01T00:00:00.000000Z")
        }
        // An override of such a field must be an object, so it can carry its status.
        let bad = try Self.event("field.overridden", data: ["field": "manufacturing.certifications", "key": "UN38.3", "value": "revoked by issuer", "reason": "r"])
        #expect(EventCatalog.validate(bad).contains { $0.path == "data.value" })
    }

    @Test func compositionPrefersTheMoreSpecificLayer() {
        let model = Projector.project([Self.fact("identity.productionDate", "2026-01-01", index: 1, recorded: "2026-01-01T00:00:00Z"),
            Self.fact("identity.name", "Pack", index: 2, recorded: "2026-01-01T00:00:00Z")], asOf: Self.t("2027-01-01T00:00:00Z"), validAt: Self.t("2027-01-01T00:00:00Z"))
        let item = Projector.project([Self.fact("identity.productionDate", "2026-05-05", index: 9, recorded: "2026-01-01T00:00:00Z")],
            asOf: Self.t("2027-01-01T00:00:00Z"), validAt: Self.t("2027-01-01T00:00:00Z"))
        let composed = Projector.compose([model, item])
        #expect(composed.map(\.value) == ["Pack", "2026-05-05"])
    }

    @Test("the schemas published in Specs are exactly what the code publishes")
    func publishedSchemasMatch() throws {
        let specs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Specs/schemas")
        for (name, schema) in PassportSchema.documents {
            let text = try String(contentsOf: specs.appendingPathComponent(name), encoding: .utf8)
            #expect(text == PrettyJSON.string(schema) + "\n", "Specs/schemas/\(name) is stale: run dpp schemas")
        }
    }
}

/// Every validation rule of the governance issue, with a passing and a failing case.
@Suite("Validation rules")
struct ValidationRuleTests {
    struct Case: Sendable, CustomStringConvertible {
        let rule: String
        let type: String
        let subject: String
        let data: JSONValue
        let extra: JSONObject
        let violation: String?
        var description: String { rule + (violation == nil ? " (passes)" : " (fails)") }
    }

    static let line: JSONValue = ["part": "P", "quantity": 2, "massKg": 0.5, "material": "steel"]
    static func bom(_ lifecycle: String = "released", _ line: JSONValue = line) -> JSONValue {
        ["revision": "A", "lifecycle": .string(lifecycle), "lines": [line]]
    }
    static let decl: JSONValue = ["kind": "conflict-minerals", "scope": "tin"]
    static let window: JSONObject = ["validFrom": "2026-01-01T00:00:00.000000Z", "validUntil": "2027-01-01T00:00:00.000000Z"]
    static let m = "01/09506000134352"

    static let cases: [Case] = [
        Case(rule: "GLN check digit", type: "product.registered", subject: m, data: ["name": "X", "manufacturer": "Y", "manufacturerGLN": "9501101020917"], extra: [:], violation: nil),
        Case(rule: "GLN check digit", type: "product.registered", subject: m, data: ["name": "X", "manufacturer": "Y", "manufacturerGLN": "9501101020918"], extra: [:],
            violation: "data.manufacturerGLN: GLN 9501101020918 has check digit 8, expected 7 (got \"9501101020918\")"),
        Case(rule: "CAS check digit", type: "composition.declared", subject: m, data: ["substancesOfConcern": [["name": "lead", "casNumber": "7439-92-1", "concentrationPercent": 0.1]]], extra: [:], violation: nil),
        Case(rule: "CAS check digit", type: "composition.declared", subject: m, data: ["substancesOfConcern": [["name": "lead", "casNumber": "7439-92-2", "concentrationPercent": 0.1]]], extra: [:],
            violation: "data.substancesOfConcern[0].casNumber: CAS number 7439-92-2 has check digit 2, expected 1 (got \"7439-92-2\")"),
        Case(rule: "ISO 3166-1 country", type: "shipment.dispatched", subject: m, data: ["shipmentId": "S", "destination": "NO", "quantity": 1], extra: [:], violation: nil),
        Case(rule: "ISO 3166-1 country", type: "shipment.dispatched", subject: m, data: ["shipmentId": "S", "destination": "UK", "quantity": 1], extra: [:],
            violation: "data.destination: must be an ISO 3166-1 alpha-2 country code like DE or FR (got \"UK\")"),
        Case(rule: "entry identifiers are short", type: "shipment.dispatched", subject: m,
            data: ["shipmentId": .string(String(repeating: "S", count: 65)), "destination": "FR", "quantity": 1], extra: [:],
            violation: "data.shipmentId: must be 1–64 characters (got \"\(String(repeating: "S", count: 65))\")"),
        Case(rule: "non-negative quantities", type: "carbon-footprint.declared", subject: m, data: ["totalKgCO2e": 0, "method": "PEF"], extra: [:], violation: nil),
        Case(rule: "non-negative quantities", type: "carbon-footprint.declared", subject: m, data: ["totalKgCO2e": -3, "method": "PEF"], extra: [:],
            violation: "data.totalKgCO2e: must not be negative (got -3)"),
        Case(rule: "share within 0–100 %", type: "composition.declared", subject: m, data: ["materials": [["name": "steel", "sharePercent": 100]]], extra: [:], violation: nil),
        Case(rule: "share within 0–100 %", type: "composition.declared", subject: m, data: ["materials": [["name": "steel", "sharePercent": 100.2]]], extra: [:],
            violation: "data.materials[0].sharePercent: must be at most 100 (got 100.2)"),
        Case(rule: "shares sum to at most 100 % within tolerance", type: "composition.declared", subject: m,
            data: ["materials": [["name": "a", "sharePercent": 60], ["name": "b", "sharePercent": 40.4]]], extra: [:], violation: nil),
        Case(rule: "shares sum to at most 100 % within tolerance", type: "composition.declared", subject: m,
            data: ["materials": [["name": "a", "sharePercent": 60], ["name": "b", "sharePercent": 40.6]]], extra: [:],
            violation: "data.materials: sharePercent values sum to more than 100 % (tolerance 0.5) (got 100.6)"),
        Case(rule: "BoM released", type: "bom.released", subject: m, data: bom(), extra: [:], violation: nil),
        Case(rule: "BoM released", type: "bom.released", subject: m, data: bom("in-work"), extra: [:], violation: "data.lifecycle: only released BoMs may be published (got \"in-work\")"),
        Case(rule: "BoM complete", type: "bom.released", subject: m, data: bom("released", ["part": "P", "quantity": 0, "massKg": 0.5, "material": "steel"]), extra: [:],
            violation: "data.lines[0].quantity: must be greater than 0 (got 0)"),
        Case(rule: "BoM complete", type: "bom.released", subject: m, data: bom("released", ["part": "P", "quantity": 1, "massKg": 0.5]), extra: [:],
            violation: "data.lines[0].material: is required"),
        Case(rule: "declaration names supplier, scope, validity", type: "declaration.recorded", subject: "supplier/ACME", data: decl, extra: window, violation: nil),
        Case(rule: "declaration names its supplier", type: "declaration.recorded", subject: m, data: decl, extra: window,
            violation: "subject: declaration.recorded is about a supplier, not a model (got 01/09506000134352)"),
        Case(rule: "declaration names its scope", type: "declaration.recorded", subject: "supplier/ACME", data: ["kind": "substances"], extra: window,
            violation: "data.scope: is required"),
        Case(rule: "declaration names its validity", type: "declaration.recorded", subject: "supplier/ACME", data: decl, extra: ["validFrom": "2026-01-01T00:00:00.000000Z"],
            violation: "validUntil: a declaration needs validUntil"),
    ]

    @Test(arguments: cases)
    func rule(_ c: Case) throws {
        var o: JSONObject = ["type": .string(c.type), "subject": .string(c.subject), "source": "s", "sourceRef": "r",
            "createdAt": "2026-01-01T00:00:00.000000Z", "data": c.data]
        for (k, v) in c.extra { o[k] = v }
        let violations = EventCatalog.validate(try Event(json: .object(o))).map(\.description)
        if let expected = c.violation {
            #expect(violations.contains(expected), "\(violations)")
        } else {
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test("validFrom must come before validUntil, and every envelope violation is reported together")
    func envelopeRules() {
        let e = #expect(throws: ValidationError.self) {
            try Event(json: ["type": "Bad Type", "subject": "01/123", "source": "s", "sourceRef": "r", "createdAt": "2026-01-01T00:00:00.000000Z",
                "validFrom": "2027-01-01T00:00:00.000000Z", "validUntil": "2026-01-01T00:00:00.000000Z", "data": [:]])
        }
        let paths = Set(e?.violations.map(\.path) ?? [])
        #expect(paths == ["type", "subject", "validUntil"])
    }
}
