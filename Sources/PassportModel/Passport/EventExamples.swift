/// A valid example of every event type, as a source would send it unsigned (`source` is filled
/// in by `dpp append --source`). They share one product — model `01/09506000134352`, batch
/// `…/10/LOT-2026-001`, item `…/21/SN-0001`, supplier `supplier/ACME`, facility
/// `facility/PLANT-1` — so that they can be appended one after another as a tour (`dpp types`).
extension EventCatalog {
    /// The example product model.
    public static let exampleModel = "01/09506000134352"
    /// The example batch of that model.
    public static let exampleBatch = exampleModel + "/10/LOT-2026-001"
    /// The example item of that batch.
    public static let exampleItem = exampleModel + "/21/SN-0001"

    /// The example of `type` as an event (timestamps in canonical form, `source` set to `source`).
    public static func exampleEvent(_ type: String, source: String = "example") throws -> Event {
        guard var o = examples[type] else { throw ValidationError([Violation(path: "type", rule: "no example for \(type)")]) }
        o["source"] = .string(source)
        for k in ["createdAt", "validFrom", "validUntil"] {
            if let s = o[k]?.stringValue { o[k] = .string(try Timestamp(rfc3339: s).description) }
        }
        return try Event(json: .object(o))
    }

    /// One valid unsigned event per type, by type.
    public static let examples: [String: JSONObject] = {
        func event(_ type: String, _ subject: String, _ ref: String, _ data: JSONObject, _ extra: JSONObject = [:]) -> (String, JSONObject) {
            var o: JSONObject = ["type": .string(type), "subject": .string(subject), "sourceRef": .string(ref),
                "createdAt": "2026-11-20T09:00:00Z", "data": .object(data)]
            for (k, v) in extra { o[k] = v }
            return (type, o)
        }
        let items: [(String, JSONObject)] = [
            event("product.registered", exampleModel, "PRD-0001", [
                "name": "PowerPack 48V 10 kWh", "category": "EV battery", "manufacturer": "Example Cells GmbH, Berlin, DE",
                "manufacturerGLN": "4012345000009", "facility": "facility/PLANT-1", "weightKg": 62.5, "countryOfOrigin": "DE",
                "markets": ["DE", "FR", "NO"],
            ]),
            event("bom.released", exampleModel, "ECN-2026-0042", [
                "revision": "A", "lifecycle": "released",
                "lines": [["part": "CELL-NMC811", "description": "pouch cell", "quantity": 96, "massKg": 0.5, "material": "NMC811",
                    "supplier": "supplier/ACME"]],
            ], ["validFrom": "2026-12-01T00:00:00Z"]),
            event("composition.declared", exampleModel, "MAT-0001", [
                "materials": [["name": "steel", "massKg": 20, "sharePercent": 32, "recycledPercent": 25],
                    ["name": "NMC811 cells", "massKg": 42.5, "sharePercent": 68]],
                "substancesOfConcern": [["name": "cobalt", "casNumber": "7440-48-4", "concentrationPercent": 4.5, "location": "cathode"]],
            ]),
            event("carbon-footprint.declared", exampleModel, "PCF-2026", [
                "totalKgCO2e": 1250.5, "functionalUnit": "1 kWh of total energy", "method": "PEFCR rechargeable batteries v1.2",
                "perLifeCycleStage": ["rawMaterials": 875, "production": 250],
            ]),
            event("certification.recorded", exampleModel, "CERT-UN383", [
                "id": "UN38.3-2026-17", "scheme": "UN 38.3", "issuer": "Example Test Lab",
            ], ["validFrom": "2026-09-01T00:00:00Z", "validUntil": "2029-09-01T00:00:00Z"]),
            event("test-report.recorded", exampleModel, "TR-2026-0001", [
                "id": "TR-2026-0001", "standard": "IEC 62619", "result": "pass", "laboratory": "Example Test Lab",
            ]),
            event("end-of-life.published", exampleModel, "EOL-0001", [
                "disassembly": "Remove the lid (8 × T25), disconnect the BMS, lift out the modules.",
                "recyclability": ["recyclablePercent": 92, "instructions": "Return modules to an authorised battery recycler."],
                "takeBack": ["scheme": "EU battery take-back", "contact": "takeback@example.com"],
            ]),
            event("repair.published", exampleModel, "REP-0001", [
                "repairabilityScore": 7.5, "instructions": "Modules are replaceable individually.",
                "spareParts": [["part": "MODULE-12S", "availableUntil": "2036-12-31"]],
            ]),
            event("batch.produced", exampleBatch, "BATCH-2026-001", [
                "quantity": 500, "facility": "facility/PLANT-1", "productionDate": "2026-11-18", "countryOfOrigin": "DE",
            ]),
            event("item.registered", exampleItem, "ITEM-SN-0001", ["lot": "LOT-2026-001", "productionDate": "2026-11-18"]),
            event("batch.transformed", exampleBatch, "GEN-2026-001", [
                "inputs": [["subject": "01/09506000134345/10/CELLS-77", "quantity": 48000]], "process": "module and pack assembly",
            ]),
            event("shipment.dispatched", exampleBatch, "SHP-2026-0001", [
                "shipmentId": "SHP-2026-0001", "destination": "NO", "quantity": 120, "carrier": "Example Freight",
                "customsDocument": ["number": "26NO0000000000001"],
            ]),
            event("unit.packed", "00/095060000000000015", "PACK-2026-0001", [
                "contents": [["subject": .string(exampleBatch), "quantity": 120]],
            ]),
            event("custody.transferred", exampleBatch, "RCV-2026-0001", [
                "transferId": "RCV-2026-0001", "custodian": "Example Freight", "previousCustodian": "Example Cells GmbH",
                "location": "Port of Oslo", "shipmentId": "SHP-2026-0001",
            ], ["validFrom": "2026-11-22T08:00:00Z"]),
            event("passport.status-changed", exampleItem, "STATUS-0001", ["status": "active"]),
            event("declaration.recorded", "supplier/ACME", "CMRT-2026", [
                "kind": "conflict-minerals", "scope": "cobalt, tin", "template": "RMI CMRT 6.5", "supplierName": "ACME Metals",
            ], ["validFrom": "2026-01-01T00:00:00Z", "validUntil": "2027-01-01T00:00:00Z"]),
            event("declaration.revoked", "supplier/ACME", "CMRT-2026-REVOKED", [
                "kind": "conflict-minerals", "reason": "smelter list withdrawn",
            ], ["validFrom": "2026-12-15T00:00:00Z"]),
            event("field.overridden", exampleModel, "OV-0001", [
                "field": "environment.carbonFootprint", "value": ["totalKgCO2e": 1180, "method": "PEFCR rechargeable batteries v1.2"],
                "reason": "third-party verifier's correction (report VR-2026-9)",
            ]),
            event("field.override-withdrawn", exampleModel, "OV-0001-WITHDRAWN", [
                "field": "environment.carbonFootprint", "reason": "the owner published the corrected footprint",
            ]),
        ]
        return Dictionary(uniqueKeysWithValues: items)
    }()
}
