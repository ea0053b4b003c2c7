import Foundation
import PassportModel

/// A realistic, deterministic demo data set: battery products with multi-level bills of
/// materials, batches and serialised items, suppliers whose declarations expire and are renewed
/// (and one that is revoked), certifications, test reports, batch genealogy, and shipments to
/// several markets with the carrier's custody transfers.
///
/// Every event is valid for the passport model; each source's events come as unsigned JSON
/// objects ready for `dpp append --source <source>`.
public struct DemoDataSet: Sendable {
    /// Size and seed of the data set.
    public struct Options: Sendable {
        /// Battery pack models (each with its own cell-module sub-assembly model).
        public var models: Int
        /// Production batches per model.
        public var batchesPerModel: Int
        /// Serialised items per batch.
        public var itemsPerBatch: Int
        /// Seed of the pseudo-random choices.
        public var seed: UInt64

        /// Creates options (defaults: 3 models, 2 batches each, 3 items per batch).
        public init(models: Int = 3, batchesPerModel: Int = 2, itemsPerBatch: Int = 3, seed: UInt64 = 2026) {
            self.models = models
            self.batchesPerModel = batchesPerModel
            self.itemsPerBatch = itemsPerBatch
            self.seed = seed
        }
    }

    /// The source systems, in the order their events should be appended.
    public static let sources = ["supplier-portal", "plm-windchill", "erp-sap", "tms-logistics", "qa-lab"]

    /// Events per source, in order.
    public let events: [(source: String, events: [JSONObject])]
    /// The product models (packs first, then their cell modules).
    public let models: [String]
    /// The batches.
    public let batches: [String]
    /// The items.
    public let items: [String]
    /// The suppliers.
    public let suppliers: [String]

    /// Generates the data set.
    public init(_ options: Options = Options()) {
        var rng = SplitMix64(seed: options.seed)
        var out: [String: [JSONObject]] = [:]
        func add(_ source: String, _ e: JSONObject) { out[source, default: []].append(e) }
        func ts(_ s: String) -> JSONValue { .string(s) }

        let suppliers = ["supplier/ACME-COBALT", "supplier/NORDMET", "supplier/CELLCO", "supplier/PACKWELL"]
        let names = ["Acme Cobalt Refining Oy", "Nordmet Lithium AB", "CellCo Components GmbH", "Packwell Housings S.A."]
        for (i, s) in suppliers.enumerated() {
            // Conflict-minerals declaration for 2026, renewed for 2027 (except the last supplier, whose lapses).
            add("supplier-portal", [
                "type": "declaration.recorded", "subject": .string(s), "sourceRef": .string("CMRT-2026-\(i)"),
                "createdAt": ts("2026-01-15T10:00:00Z"), "validFrom": ts("2026-01-01T00:00:00Z"), "validUntil": ts("2027-01-01T00:00:00Z"),
                "data": ["kind": "conflict-minerals", "scope": "cobalt, tin, tantalum, tungsten, gold", "template": "RMI CMRT 6.4",
                    "supplierName": .string(names[i])],
            ])
            if i < suppliers.count - 1 {
                add("supplier-portal", [
                    "type": "declaration.recorded", "subject": .string(s), "sourceRef": .string("CMRT-2027-\(i)"),
                    "createdAt": ts("2026-12-10T10:00:00Z"), "validFrom": ts("2027-01-01T00:00:00Z"), "validUntil": ts("2028-01-01T00:00:00Z"),
                    "data": ["kind": "conflict-minerals", "scope": "cobalt, tin, tantalum, tungsten, gold", "template": "RMI CMRT 6.5",
                        "supplierName": .string(names[i])],
                ])
            }
            add("supplier-portal", [
                "type": "declaration.recorded", "subject": .string(s), "sourceRef": .string("RC-2026-\(i)"),
                "createdAt": ts("2026-02-01T09:00:00Z"), "validFrom": ts("2026-01-01T00:00:00Z"), "validUntil": ts("2028-01-01T00:00:00Z"),
                "data": ["kind": "recycled-content", "scope": "cathode active material",
                    "recycledContentPercent": .number(JSONNumber(Double(8 + rng.next(upTo: 12))))],
            ])
        }
        add("supplier-portal", [
            "type": "declaration.revoked", "subject": .string(suppliers[1]), "sourceRef": "RC-2026-1-REVOKED",
            "createdAt": ts("2027-05-02T08:00:00Z"), "data": ["kind": "recycled-content", "reason": "audit found mass-balance error"],
        ])

        var models: [String] = []
        var cellModels: [String] = []
        var batches: [String] = []
        var items: [String] = []
        for m in 0..<options.models {
            let pack = "01/" + DemoDataSet.gtin(100 + m)
            let cell = "01/" + DemoDataSet.gtin(500 + m)
            models.append(pack)
            cellModels.append(cell)
            let kwh = [2.1, 7.5, 60.0][m % 3] * Double(1 + m / 3)
            for (subject, name, category) in [(pack, "EV battery pack \(kwh) kWh", "EV battery"), (cell, "NMC811 cell module", "battery module")] {
                add("plm-windchill", [
                    "type": "product.registered", "subject": .string(subject), "sourceRef": .string("PRD-\(subject.suffix(6))"),
                    "createdAt": ts("2026-06-01T08:00:00Z"),
                    "data": ["name": .string(name), "category": .string(category), "manufacturer": "Example Cells GmbH, Berlin, DE",
                        "manufacturerGLN": "9501101020917",
                        "facility": .string(subject == pack ? "facility/PACK-DE-01" : "facility/CELL-PL-02"),
                        "economicOperator": "Example Cells GmbH", "weightKg": .number(JSONNumber(kwh * 6.5)), "countryOfOrigin": "DE",
                        "markets": ["DE", "FR", "NL", "NO", "IT", "ES", "SE", "CH"]],
                ])
            }
            let cellLines: JSONValue = [
                ["part": "CATHODE-NMC811", "quantity": 1, "massKg": 0.9, "material": "NMC811", "supplier": .string(suppliers[0])],
                ["part": "ANODE-GRAPHITE", "quantity": 1, "massKg": 0.6, "material": "graphite", "supplier": .string(suppliers[1])],
            ]
            add("plm-windchill", [
                "type": "bom.released", "subject": .string(cell), "sourceRef": .string("ECN-CELL-\(m)-A"),
                "createdAt": ts("2026-07-01T08:00:00Z"), "validFrom": ts("2026-08-01T00:00:00Z"),
                "data": ["revision": "A", "lifecycle": "released", "lines": cellLines],
            ])
            for (rev, validFrom, created, housing) in [("A", "2026-09-01T00:00:00Z", "2026-07-15T08:00:00Z", "aluminium"),
                ("B", "2027-03-01T00:00:00Z", "2027-01-20T08:00:00Z", "recycled aluminium")]
            {
                add("plm-windchill", [
                    "type": "bom.released", "subject": .string(pack), "sourceRef": .string("ECN-PACK-\(m)-\(rev)"),
                    "createdAt": ts(created), "validFrom": ts(validFrom),
                    "data": ["revision": .string(rev), "lifecycle": "released", "lines": [
                        ["part": "CELL-MODULE", "quantity": .number(JSONNumber(4 + m)), "massKg": 3.5, "material": "NMC811 cells",
                            "component": .string(cell), "supplier": .string(suppliers[2])],
                        ["part": "HOUSING", "quantity": 1, "massKg": 4.2, "material": .string(housing), "supplier": .string(suppliers[3])],
                        ["part": "BMS-BOARD", "quantity": 1, "massKg": 0.3, "material": "FR4, copper"],
                    ]],
                ])
            }
            add("plm-windchill", [
                "type": "composition.declared", "subject": .string(pack), "sourceRef": .string("MAT-\(m)"), "createdAt": ts("2026-07-20T08:00:00Z"),
                "data": [
                    "materials": [
                        ["name": "cathode active material", "sharePercent": 28, "recycledPercent": 12],
                        ["name": "graphite", "sharePercent": 17, "recycledPercent": 0, "renewablePercent": 0],
                        ["name": "aluminium", "sharePercent": 31, "recycledPercent": 45],
                        ["name": "electrolyte", "sharePercent": 11],
                    ],
                    "substancesOfConcern": [
                        ["name": "lithium hexafluorophosphate", "casNumber": "21324-40-3", "concentrationPercent": 1.4, "location": "electrolyte"],
                        ["name": "cobalt", "casNumber": "7440-48-4", "concentrationPercent": 4.2, "location": "cathode"],
                    ],
                ],
            ])
            for (ref, total, created, validFrom) in [("PCF-\(m)-2026", 61.5 * kwh, "2026-08-01T08:00:00Z", "2026-08-01T00:00:00Z"),
                ("PCF-\(m)-2027", 54.0 * kwh, "2027-02-15T08:00:00Z", "2027-03-01T00:00:00Z")]
            {
                add("plm-windchill", [
                    "type": "carbon-footprint.declared", "subject": .string(pack), "sourceRef": .string(ref), "createdAt": ts(created),
                    "validFrom": ts(validFrom),
                    "data": ["totalKgCO2e": .number(JSONNumber((total * 10).rounded() / 10)), "functionalUnit": "1 kWh of total energy",
                        "method": "PEFCR rechargeable batteries v1.2",
                        "perLifeCycleStage": ["rawMaterials": .number(JSONNumber((total * 0.7).rounded())), "production": .number(JSONNumber((total * 0.2).rounded()))],
                        "verification": ["verifier": "Example Verification Body"]],
                ])
            }
            add("plm-windchill", [
                "type": "end-of-life.published", "subject": .string(pack), "sourceRef": .string("EOL-\(m)"), "createdAt": ts("2026-08-10T08:00:00Z"),
                "data": ["disassembly": "Remove 12 M6 screws, lift cover, disconnect BMS, unclip modules.",
                    "recyclability": ["recyclablePercent": 92, "instructions": "Hydrometallurgical recycling of modules."],
                    "takeBack": ["scheme": "Example Batteries Take-Back EU", "contact": "takeback@example.com"],
                    "safety": "Discharge below 20 % before dismantling; class 9 dangerous goods."],
            ])
            add("plm-windchill", [
                "type": "repair.published", "subject": .string(pack), "sourceRef": .string("REP-\(m)"), "createdAt": ts("2026-08-10T08:00:00Z"),
                "data": ["repairabilityScore": 7.5, "spareParts": [["part": "BMS-BOARD", "availableUntil": "2036-12-31", "contact": "parts@example.com"]]],
            ])
            add("qa-lab", [
                "type": "certification.recorded", "subject": .string(pack), "sourceRef": .string("CERT-UN383-\(m)"), "createdAt": ts("2026-08-20T08:00:00Z"),
                "validFrom": ts("2026-08-20T00:00:00Z"), "validUntil": ts("2027-08-20T00:00:00Z"),
                "data": ["id": .string("UN38.3-\(m)"), "scheme": "UN 38.3 transport test", "issuer": "Example Test House"],
            ])
            add("qa-lab", [
                "type": "test-report.recorded", "subject": .string(pack), "sourceRef": .string("TR-\(m)"), "createdAt": ts("2026-08-20T08:00:00Z"),
                "data": ["id": .string("TR-2026-\(m)"), "standard": "IEC 62660-2", "result": "pass", "laboratory": "Example Test House"],
            ])
            for b in 0..<options.batchesPerModel {
                let lot = "L\(26 + b)W\(10 + m)"
                let cellBatch = "\(cell)/10/C\(lot)"
                let batch = "\(pack)/10/\(lot)"
                batches.append(batch)
                let day = (b * 7 + m) % 40  // production days from 2026-10-10 on
                add("erp-sap", [
                    "type": "batch.produced", "subject": .string(cellBatch), "sourceRef": .string("PO-C-\(m)-\(b)"), "createdAt": ts(DemoDataSet.date(day) + "T06:00:00Z"),
                    "data": ["quantity": 2000, "facility": "facility/CELL-PL-02", "productionDate": .string(DemoDataSet.date(day)), "countryOfOrigin": "PL"],
                ])
                add("erp-sap", [
                    "type": "batch.produced", "subject": .string(batch), "sourceRef": .string("PO-\(m)-\(b)"), "createdAt": ts(DemoDataSet.date(day + 2) + "T06:00:00Z"),
                    "data": ["quantity": .number(JSONNumber(400 + rng.next(upTo: 200))), "facility": "facility/PACK-DE-01",
                        "productionDate": .string(DemoDataSet.date(day + 2)), "countryOfOrigin": "DE"],
                ])
                add("erp-sap", [
                    "type": "batch.transformed", "subject": .string(batch), "sourceRef": .string("TRF-\(m)-\(b)"), "createdAt": ts(DemoDataSet.date(day + 2) + "T07:00:00Z"),
                    "data": ["inputs": [["subject": .string(cellBatch), "quantity": 1800]], "process": "module assembly and pack integration"],
                ])
                let markets = ["FR", "DE", "NL", "NO", "IT", "ES", "SE", "CH"]
                for s in 0..<3 {
                    let dest = markets[(m + b + s * 3) % markets.count]
                    var shipment: JSONObject = ["shipmentId": .string("SHP-\(m)\(b)\(s)"), "destination": .string(dest),
                        "quantity": .number(JSONNumber(40 + rng.next(upTo: 80))), "carrier": "Example Freight"]
                    if dest == "NO" || dest == "CH" { shipment["customsDocument"] = ["number": .string("MRN26\(dest)\(m)\(b)\(s)0001")] }
                    add("tms-logistics", [
                        "type": "shipment.dispatched", "subject": .string(batch), "sourceRef": .string("SHP-\(m)\(b)\(s)"),
                        "createdAt": ts("2026-11-0\(1 + s)T12:00:00Z"), "data": .object(shipment),
                    ])
                    // The carrier takes the goods over at the pack plant (chain of custody).
                    add("tms-logistics", [
                        "type": "custody.transferred", "subject": .string(batch), "sourceRef": .string("HO-SHP-\(m)\(b)\(s)"),
                        "createdAt": ts("2026-11-0\(1 + s)T12:00:00Z"), "validFrom": ts("2026-11-0\(1 + s)T11:30:00Z"),
                        "data": ["transferId": .string("HO-SHP-\(m)\(b)\(s)"), "custodian": "Example Freight",
                            "previousCustodian": "Example Cells GmbH", "location": "Pack plant Berlin, dock 3", "locationGLN": "9501101020917",
                            "shipmentId": .string("SHP-\(m)\(b)\(s)")],
                    ])
                }
                for i in 0..<options.itemsPerBatch {
                    let item = "\(pack)/21/SN\(m)\(b)\(String(i + 1).leftPadded(toWidth: 4))"
                    items.append(item)
                    add("erp-sap", [
                        "type": "item.registered", "subject": .string(item), "sourceRef": .string("SER-\(m)-\(b)-\(i)"),
                        "createdAt": ts(DemoDataSet.date(day + 3) + "T06:00:00Z"), "data": ["lot": .string(lot), "productionDate": .string(DemoDataSet.date(day + 3))],
                    ])
                }
            }
        }
        if items.count >= 2 {
            // The first item was built from a returned pack's housing, and is later recalled and replaced by the second.
            add("erp-sap", [
                "type": "passport.status-changed", "subject": .string(items[0]), "sourceRef": "REMAN-2026-001", "createdAt": ts("2026-10-14T09:00:00Z"),
                "data": ["status": "remanufactured", "predecessor": .string("01/\(DemoDataSet.gtin(99))/21/RETURN-0001")],
            ])
            add("erp-sap", [
                "type": "passport.status-changed", "subject": .string(items[0]), "sourceRef": "RECALL-2027-001", "createdAt": ts("2027-04-10T09:00:00Z"),
                "data": ["status": "recalled", "reason": "BMS firmware fault in early serials", "successor": .string(items[1])],
            ])
        }
        if items.count >= 2, let first = batches.first {
            // A pallet (SSCC) with the first two serialised packs and more of their batch, shipped as one logistic unit.
            let body = "0950600" + "0000000001"
            let pallet = "00/" + body + String(GS1.checkDigit(body.utf8.map { Int($0 - 0x30) }))
            add("tms-logistics", [
                "type": "unit.packed", "subject": .string(pallet), "sourceRef": "PACK-PAL-0001", "createdAt": ts("2026-11-05T10:00:00Z"),
                "data": ["contents": [["subject": .string(items[0])], ["subject": .string(items[1])], ["subject": .string(first), "quantity": 40]]],
            ])
            add("tms-logistics", [
                "type": "shipment.dispatched", "subject": .string(pallet), "sourceRef": "SHP-PAL-0001", "createdAt": ts("2026-11-05T12:00:00Z"),
                "data": ["shipmentId": "SHP-PAL-0001", "destination": "PL", "quantity": 42, "carrier": "Example Freight"],
            ])
        }
        events = DemoDataSet.sources.compactMap { s in out[s].map { (s, $0) } }
        self.models = models + cellModels
        self.batches = batches
        self.items = items
        self.suppliers = suppliers
    }

    /// The date `days` after 2026-10-10, as `YYYY-MM-DD`.
    static func date(_ days: Int) -> String {
        let base = try! Timestamp(rfc3339: "2026-10-10T00:00:00Z")
        return String(Timestamp(microsecondsSinceEpoch: base.microseconds + Int64(days) * 86_400_000_000).description.prefix(10))
    }

    /// The n-th demo GTIN-14 (prefix 0950600, check digit computed).
    public static func gtin(_ n: Int) -> String {
        let body = "0950600" + String(n).leftPadded(toWidth: 6)
        return body + String(GS1.checkDigit(body.utf8.map { Int($0 - 0x30) }))
    }
}

extension DemoDataSet {
    /// A Debezium mapping (`Specs/connectors/debezium.md`) of an ERP's production orders to
    /// `batch.produced`: the demo's change-data-capture input and the ingest benchmark's.
    public static let erpProductionOrdersMapping = """
        version: 1
        tables:
          erp.production_orders:
            event: batch.produced
            key: [order_id]
            subject:
              gtin: material_gtin
              lot: batch_no
            data:
              quantity: {column: qty_done, convert: integer}
              facility: {column: plant, convert: {prefix: "facility/"}}
              productionDate: {column: finish_date, convert: {date: epoch-days}}
              countryOfOrigin: {column: country, optional: true}
        """
}

/// A small deterministic PRNG (SplitMix64): the same data set, and the same randomised tests,
/// everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    /// Starts a sequence from a seed.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in `0..<n`.
    public mutating func next(upTo n: Int) -> Int { Int(next() % UInt64(n)) }

    /// The seed for a randomised test: `DPP_TEST_SEED` if set (to replay a failure), else a fresh
    /// random one. Tests name it in every failure message.
    public static func testSeed() -> UInt64 {
        ProcessInfo.processInfo.environment["DPP_TEST_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
    }
}
