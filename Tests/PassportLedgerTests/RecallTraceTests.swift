import Foundation
import PassportAudit
import PassportIngest
import PassportLedger
import PassportModel
import PassportDemoData
import PassportTestSupport
import Testing
import LMDB

/// The recall trace replayed from records (the reference the trace index will be tested against).
@Suite("Recall trace by replay")
struct RecallTraceTests {
    static let pack = "01/09506000134352"  // the product
    static let module = "01/09506000134369"  // its sub-assembly
    static func lot(_ model: String, _ l: String) -> String { "\(model)/10/\(l)" }
    static let pallet = "00/095060000000000015"

    /// A store on a test clock: a pack whose BoM names supplier ACME until revision B (from
    /// 2026-06-01) replaces it with NORDMET; a module (sub-assembly, BoM naming CELLCO); batches
    /// before and after the change; items; shipments; declarations valid, expired and missing.
    static func store() throws -> (TemporaryDirectory, TestClock, Ledger) {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let ledger = try Ledger.create(at: dir.path("store"), origin: "trace.example/log", options: clock.options)
        for (name, kind) in [("plm", "plm"), ("erp", "erp"), ("wms", "wms"), ("acme", "supplier"), ("nordmet", "supplier"), ("cellco", "supplier")] {
            try ledger.addKey(name: name, kind: kind)
        }
        func append(_ source: String, _ events: [JSONObject]) throws {
            let o = try ledger.append(unsigned: events, source: source)
            #expect(o.allSatisfy { $0.record != nil }, "\(o)")
            clock.advance()
        }
        func line(_ part: String, supplier: String? = nil, component: String? = nil) -> JSONValue {
            var o: JSONObject = ["part": .string(part), "quantity": 1, "massKg": 1, "material": "x"]
            if let supplier { o["supplier"] = .string(supplier) }
            if let component { o["component"] = .string(component) }
            return .object(o)
        }
        func bom(_ model: String, _ rev: String, from: String, _ lines: [JSONValue]) -> JSONObject {
            ["type": "bom.released", "subject": .string(model), "sourceRef": .string("BOM-\(model)-\(rev)"), "createdAt": "2026-01-01T00:00:00Z",
                "validFrom": .string(from), "data": ["revision": .string(rev), "lifecycle": "released", "lines": .array(lines)]]
        }
        try append("plm", [
            bom(pack, "A", from: "2026-01-01T00:00:00Z", [line("HOUSING", supplier: "supplier/ACME"), line("MODULE", component: module)]),
            bom(pack, "B", from: "2026-06-01T00:00:00Z", [line("HOUSING", supplier: "supplier/NORDMET"), line("MODULE", component: module)]),
            bom(module, "A", from: "2026-01-01T00:00:00Z", [line("CELL", supplier: "supplier/CELLCO")]),
        ])
        func batch(_ subject: String, _ date: String) -> JSONObject {
            ["type": "batch.produced", "subject": .string(subject), "sourceRef": .string("B-\(subject)"), "createdAt": "2026-01-01T00:00:00Z",
                "data": ["quantity": 10, "facility": "facility/PLANT-1", "productionDate": .string(date)]]
        }
        try append("erp", [
            batch(lot(module, "M1"), "2026-03-01"), batch(lot(pack, "P1"), "2026-03-10"), batch(lot(pack, "P2"), "2026-07-10"),
            ["type": "batch.transformed", "subject": .string(lot(pack, "P1")), "sourceRef": "GEN-P1", "createdAt": "2026-03-10T00:00:00Z",
                "data": ["inputs": [["subject": .string(lot(module, "M1")), "quantity": 4]]]],
            ["type": "item.registered", "subject": .string("\(pack)/21/SN-1"), "sourceRef": "SN-1", "createdAt": "2026-03-10T00:00:00Z", "data": ["lot": "P1"]],
            ["type": "item.registered", "subject": .string("\(pack)/21/SN-2"), "sourceRef": "SN-2", "createdAt": "2026-07-10T00:00:00Z", "data": ["lot": "P2"]],
        ])
        try append("wms", [
            ["type": "shipment.dispatched", "subject": .string(lot(pack, "P1")), "sourceRef": "SHP-1", "createdAt": "2026-03-20T00:00:00Z",
                "data": ["shipmentId": "SHP-1", "destination": "NO", "quantity": 6]],
            ["type": "shipment.dispatched", "subject": .string(lot(pack, "P1")), "sourceRef": "SHP-2", "createdAt": "2026-03-21T00:00:00Z",
                "data": ["shipmentId": "SHP-2", "destination": "DE", "quantity": 4]],
            ["type": "shipment.dispatched", "subject": .string(lot(pack, "P2")), "sourceRef": "SHP-3", "createdAt": "2026-07-20T00:00:00Z",
                "data": ["shipmentId": "SHP-3", "destination": "FR", "quantity": 10]],
            // A pallet holding item SN-2 (of P2), shipped as one logistic unit.
            ["type": "unit.packed", "subject": .string(pallet), "sourceRef": "PK-1", "createdAt": "2026-07-21T00:00:00Z",
                "data": ["contents": [["subject": .string("\(pack)/21/SN-2")]]]],
            ["type": "shipment.dispatched", "subject": .string(pallet), "sourceRef": "SHP-4", "createdAt": "2026-07-22T00:00:00Z",
                "data": ["shipmentId": "SHP-4", "destination": "SE", "quantity": 1]],
        ])
        func declaration(_ supplier: String, _ kind: String, _ from: String, _ until: String) -> JSONObject {
            ["type": "declaration.recorded", "subject": .string(supplier), "sourceRef": .string("D-\(supplier)-\(kind)-\(from)"), "createdAt": "2026-01-01T00:00:00Z",
                "validFrom": .string(from), "validUntil": .string(until), "data": ["kind": .string(kind), "scope": "all"]]
        }
        try append("acme", [declaration("supplier/ACME", "conflict-minerals", "2025-01-01T00:00:00Z", "2026-02-01T00:00:00Z")])
        try append("cellco", [declaration("supplier/CELLCO", "conflict-minerals", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")])
        return (dir, clock, ledger)
    }

    static func records(_ ledger: Ledger) throws -> [Record] {
        var out: [Record] = []
        try ledger.forEachRecord { _, b in out.append(try Record(bytes: Array(b))) }
        return out
    }

    @Test("down: the BoM in force at the production date, the sub-assembly's own batch, each supplier's declarations valid, expired or missing")
    func down() throws {
        let (dir, _, ledger) = try Self.store()
        defer { withExtendedLifetime(dir) {} }
        let trace = RecallTrace(records: try Self.records(ledger))
        let (tree, records) = trace.down(try Subject(Self.lot(Self.pack, "P1")))
        #expect(tree["model"] == .string(Self.pack))
        let components = tree["components"]!.arrayValue!.map { $0.objectValue! }
        #expect(components.map { $0["bomRevision"] } == ["A", "A"])
        #expect(components[0]["supplier"] == "supplier/ACME")
        #expect(components[0]["declarations"]?.arrayValue?.first?.objectValue?["status"] == "expired", "ACME's CMRT ended before the batch")
        let module = try #require(components[1]["batch"]?.objectValue)
        #expect(module["subject"] == .string(Self.lot(Self.module, "M1")))
        let cell = try #require(module["components"]?.arrayValue?.first?.objectValue)
        #expect(cell["supplier"] == "supplier/CELLCO")
        #expect(cell["declarations"]?.arrayValue?.first?.objectValue?["status"] == "valid")
        // Every edge's record is among those to prove.
        for i in records { #expect(i < (try ledger.size())) }
        #expect(records.contains(UInt64(components[0]["bomRecord"]!.numberValue!.intValue!)))

        let later = trace.down(try Subject(Self.lot(Self.pack, "P2"))).tree
        let laterLines = later["components"]!.arrayValue!.map { $0.objectValue! }
        #expect(laterLines.map { $0["bomRevision"] } == ["B", "B"])
        #expect(laterLines[0]["declarations"]?.arrayValue?.first?.objectValue?["status"] == "missing", "NORDMET declared nothing")
        // No genealogy for P2: the module is traced through its model's BoM.
        #expect(laterLines[1]["components"]?.arrayValue?.first?.objectValue?["supplier"] == "supplier/CELLCO")
        // An item goes through its lot.
        #expect(trace.down(try Subject("\(Self.pack)/21/SN-1")).tree["batch"]?.objectValue?["subject"] == .string(Self.lot(Self.pack, "P1")))
    }

    @Test("up: a supplier reaches the models, batches, items, shipments and markets of the revisions that named it, and the assemblies above")
    func up() throws {
        let (dir, _, ledger) = try Self.store()
        defer { withExtendedLifetime(dir) {} }
        let trace = RecallTrace(records: try Self.records(ledger))
        let acme = trace.up(supplier: "supplier/ACME").scope
        #expect(acme["models"] == [.string(Self.pack)])
        #expect(acme["batches"] == [.string(Self.lot(Self.pack, "P1"))], "P2 was made under revision B, without ACME")
        #expect(acme["items"] == [.string("\(Self.pack)/21/SN-1")])
        #expect(acme["markets"] == ["DE": 4, "NO": 6])
        // CELLCO is in the module, so in every pack batch through the higher-level assembly.
        let cellco = trace.up(supplier: "supplier/CELLCO").scope
        #expect(cellco["models"] == [.string(Self.pack), .string(Self.module)])
        #expect(cellco["batches"] == [.string(Self.lot(Self.pack, "P1")), .string(Self.lot(Self.pack, "P2")), .string(Self.lot(Self.module, "M1"))])
        #expect(cellco["markets"] == ["DE": 4, "FR": 10, "NO": 6, "SE": 1], "the pallet holding SN-2 shipped to SE")
        #expect(cellco["logisticUnits"] == [.string(Self.pallet)])
        #expect(acme["logisticUnits"] == [], "the pallet holds nothing of P1")
        #expect(try ledger.traceUp(supplier: try Subject("supplier/CELLCO")).scope == cellco, "the index agrees")
        // A production window, and one supplier lot consumed through the genealogy.
        let window = trace.up(supplier: "supplier/CELLCO", from: try Timestamp(dateOrDateTime: "2026-06-01")).scope
        #expect(window["batches"] == [.string(Self.lot(Self.pack, "P2"))])
        let byLot = trace.up(supplier: "supplier/CELLCO", lot: Self.lot(Self.module, "M1")).scope
        #expect(byLot["batches"] == [.string(Self.lot(Self.pack, "P1"))])
        #expect(byLot["markets"] == ["DE": 4, "NO": 6])
        #expect(trace.up(supplier: "supplier/ACME", part: "MODULE").scope["batches"] == [])
    }

    @Test("as of a system time the trace is what the ledger knew then; BoM cycles are reported, not followed")
    func asOfAndCycles() throws {
        let (dir, clock, ledger) = try Self.store()
        defer { withExtendedLifetime(dir) {} }
        let before = clock.now()
        clock.advance()
        // A late correction: revision A of the pack named a second part from ACME… and the module names the pack (a cycle).
        let o = try ledger.append(unsigned: [["type": "bom.released", "subject": .string(Self.module), "sourceRef": "BOM-M-CYCLE", "createdAt": "2026-01-01T00:00:00Z",
            "validFrom": "2026-02-01T00:00:00Z", "data": ["revision": "B", "lifecycle": "released",
                "lines": [["part": "CELL", "quantity": 1, "massKg": 1, "material": "x", "supplier": "supplier/CELLCO"],
                    ["part": "LOOP", "quantity": 1, "massKg": 1, "material": "x", "component": .string(Self.pack)]]]]], source: "plm")
        #expect(o.allSatisfy { $0.record != nil }, "\(o)")
        let all = try Self.records(ledger)
        let now = RecallTrace(records: all).down(try Subject(Self.lot(Self.pack, "P2"))).tree
        #expect(now["cycles"]?.arrayValue?.isEmpty == false, "\(now)")
        let then = RecallTrace(records: all, asOf: before).down(try Subject(Self.lot(Self.pack, "P2"))).tree
        #expect(then["cycles"] == nil)
    }
}

@Suite("Recall trace index")
struct TraceIndexTests {
    /// A random data set: models with BoM revisions (random effectivity, suppliers, sub-assemblies,
    /// some cycles), batches, items, genealogy, shipments, declarations, late corrections.
    static func randomStore(seed: UInt64) throws -> (TemporaryDirectory, Ledger, [Timestamp], [String], [String], [String]) {
        var rng = SplitMix64(seed: seed)
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let ledger = try Ledger.create(at: dir.path("store"), origin: "trace.example/log", options: clock.options)
        for (name, kind) in [("plm", "plm"), ("erp", "erp"), ("wms", "wms")] { try ledger.addKey(name: name, kind: kind) }
        let suppliers = (0..<4).map { "supplier/S\($0)" }
        for (i, _) in suppliers.enumerated() { try ledger.addKey(name: "s\(i)", kind: "supplier") }
        let models = (0..<5).map { i in "01/" + DemoDataSet.gtin(900 + i) }
        var times: [Timestamp] = []
        var batches: [String] = []
        var items: [String] = []
        func day(_ d: Int) -> String { Timestamp(microsecondsSinceEpoch: (1_767_225_600 + Int64(d) * 86_400) * 1_000_000).description }
        func append(_ source: String, _ e: JSONObject) throws {
            let o = try ledger.append(unsigned: [e], source: source)
            #expect(o.allSatisfy { $0.record != nil }, "\(o)")
            times.append(clock.advance())
        }
        for step in 0..<70 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...2:
                let m = models.randomElement(using: &rng)!
                var lines: [JSONValue] = []
                for l in 0..<Int.random(in: 1...3, using: &rng) {
                    var o: JSONObject = ["part": .string("P\(l)"), "quantity": 1, "massKg": 1, "material": "x"]
                    if Bool.random(using: &rng) { o["supplier"] = .string(suppliers.randomElement(using: &rng)!) }
                    if Int.random(in: 0..<4, using: &rng) == 0 { o["component"] = .string(models.randomElement(using: &rng)!) }
                    lines.append(.object(o))
                }
                try append("plm", ["type": "bom.released", "subject": .string(m), "sourceRef": .string("BOM-\(step)"), "createdAt": "2026-01-01T00:00:00Z",
                    "validFrom": .string(day(Int.random(in: 0..<200, using: &rng))), "data": ["revision": .string("R\(step)"), "lifecycle": "released", "lines": .array(lines)]])
            case 3...4:
                let m = models.randomElement(using: &rng)!
                let b = "\(m)/10/L\(step)"
                batches.append(b)
                try append("erp", ["type": "batch.produced", "subject": .string(b), "sourceRef": .string("B-\(step)"), "createdAt": "2026-01-01T00:00:00Z",
                    "data": ["quantity": 10, "facility": "facility/F", "productionDate": .string(String(day(Int.random(in: 0..<200, using: &rng)).prefix(10)))]])
            case 5 where !batches.isEmpty:
                var b = batches.randomElement(using: &rng)!
                var item = b.replacingOccurrences(of: "/10/L", with: "/21/S") + "x\(step)"
                if let moved = items.randomElement(using: &rng), Int.random(in: 0..<3, using: &rng) == 0,
                    let other = batches.filter({ $0.hasPrefix(String(moved.prefix(17))) }).randomElement(using: &rng)
                {
                    // A correction: an item registered again, in another lot of its model.
                    (item, b) = (moved, other)
                } else {
                    items.append(item)
                }
                try append("erp", ["type": "item.registered", "subject": .string(item), "sourceRef": .string("I-\(step)"), "createdAt": "2026-01-01T00:00:00Z",
                    "data": ["lot": .string(String(b.split(separator: "/")[3]))]])
            case 6 where batches.count > 1:
                let out = batches.randomElement(using: &rng)!
                let input = batches.randomElement(using: &rng)!
                try append("erp", ["type": "batch.transformed", "subject": .string(out), "sourceRef": .string("T-\(step)"), "createdAt": "2026-01-01T00:00:00Z",
                    "data": ["inputs": [["subject": .string(input), "quantity": 2]]]])
            case 7 where (!batches.isEmpty || !items.isEmpty) && Int.random(in: 0..<3, using: &rng) == 0:
                // A pallet: some batches and items packed into a logistic unit, which ships (or not).
                let body = "0950600" + String(1_000_000_000 + Int.random(in: 0..<4, using: &rng)).suffix(10)
                let unit = "00/" + body + String(GS1.checkDigit(body.utf8.map { Int($0 - 0x30) }))
                let contents = (0..<Int.random(in: 1...3, using: &rng)).map { _ in (batches + items).randomElement(using: &rng)! }
                try append("wms", ["type": "unit.packed", "subject": .string(unit), "sourceRef": .string("PK-\(step)"), "createdAt": "2026-01-01T00:00:00Z",
                    "data": ["contents": .array(contents.map { ["subject": .string($0)] })]])
                if Bool.random(using: &rng) {
                    try append("wms", ["type": "shipment.dispatched", "subject": .string(unit), "sourceRef": .string("SU-\(step)"), "createdAt": "2026-01-01T00:00:00Z",
                        "data": ["shipmentId": .string("SU-\(step)"), "destination": "PL", "quantity": 5]])
                }
            case 7 where !batches.isEmpty || !items.isEmpty:
                let s = (batches + items).randomElement(using: &rng)!
                try append("wms", ["type": "shipment.dispatched", "subject": .string(s), "sourceRef": .string("SH-\(step)"), "createdAt": "2026-01-01T00:00:00Z",
                    "data": ["shipmentId": .string("SH-\(step)"), "destination": .string(["DE", "FR", "NO"].randomElement(using: &rng)!), "quantity": .number(JSONNumber(Int.random(in: 1...9, using: &rng)))]])
            default:
                let i = Int.random(in: 0..<suppliers.count, using: &rng)
                let from = Int.random(in: 0..<150, using: &rng)
                try append("s\(i)", ["type": "declaration.recorded", "subject": .string(suppliers[i]), "sourceRef": .string("D-\(step)"), "createdAt": "2026-01-01T00:00:00Z",
                    "validFrom": .string(day(from)), "validUntil": .string(day(from + Int.random(in: 1...120, using: &rng))),
                    "data": ["kind": .string(["conflict-minerals", "recycled-content"].randomElement(using: &rng)!), "scope": "all"]])
            }
        }
        return (dir, ledger, times, batches, items, suppliers)
    }

    @Test("property: the indexed trace equals the trace replayed from every record, for random data, random asOf, before and after reindex")
    func indexedEqualsNaive() throws {
        let base = SplitMix64.testSeed()
        print("trace property test seed \(base) (DPP_TEST_SEED replays it)")
        for round in 0..<4 {
            let seed = base &+ UInt64(round)
            let (dir, ledger, times, batches, items, suppliers) = try Self.randomStore(seed: seed)
            defer { withExtendedLifetime(dir) {} }
            var rng = SplitMix64(seed: seed &* 31)
            for pass in 0..<2 {
                let everything = try RecallTraceTests.records(ledger)
                for _ in 0..<12 {
                    let asOf: Timestamp? = Bool.random(using: &rng) ? nil : times.randomElement(using: &rng)
                    for s in ([batches.randomElement(using: &rng), items.randomElement(using: &rng)].compactMap { $0 }) {
                        let subject = try Subject(s)
                        let naive = RecallTrace(records: everything, asOf: asOf).down(subject)
                        let indexed = try ledger.traceDown(subject, asOf: asOf)
                        #expect(indexed.tree == naive.tree, "seed \(seed) down \(s) asOf \(String(describing: asOf))")
                        #expect(indexed.records == naive.records)
                    }
                    let supplier = suppliers.randomElement(using: &rng)!
                    let lot = Bool.random(using: &rng) ? batches.randomElement(using: &rng) : nil
                    let part: String? = Bool.random(using: &rng) ? "P0" : nil
                    let from: Timestamp? = Bool.random(using: &rng) ? try Timestamp(dateOrDateTime: "2026-03-01") : nil
                    let naive = RecallTrace(records: everything, asOf: asOf).up(supplier: supplier, part: part, lot: lot, from: from)
                    let indexed = try ledger.traceUp(supplier: try Subject(supplier), part: part, lot: lot, from: from, asOf: asOf)
                    #expect(indexed.scope == naive.scope, "seed \(seed) up \(supplier) lot \(lot ?? "-") part \(part ?? "-")")
                    #expect(indexed.records == naive.records)
                }
                #expect(try ledger.verify().isIntact)
                if pass == 0 { try ledger.reindex() }
            }
        }
    }

    @Test("verify catches a trace edge removed or added, and reindex repairs the index")
    func tamperedIndex() throws {
        let (dir, ledger, _, _, _, _) = try Self.randomStore(seed: 7)
        #expect(try ledger.verify().isIntact)
        let env = try Environment(path: dir.path("store/ledger").path)
        try env.write { txn in
            let db = try txn.openDatabase("trace", create: false)
            let first = try #require(try txn.withCursor(db) { c in try c.move(.first) { k, _ in [UInt8](k) } })
            _ = try txn.delete(first, in: db)
        }
        let removed = try Ledger.open(at: dir.path("store")).verify()
        #expect(removed.problem?.reason.contains("trace index lacks an edge") == true, "\(String(describing: removed.problem))")
        try Ledger.open(at: dir.path("store")).reindex()
        #expect(try Ledger.open(at: dir.path("store")).verify().isIntact)
        // An item's registration edge naming another batch than its record (a recall scope reads items from the index alone).
        try env.write { txn in
            let db = try txn.openDatabase("trace", create: false)
            let (k, v) = try #require(try txn.withCursor(db) { c in try c.move(.atOrAfter([0x4A])) { k, v in ([UInt8](k), [UInt8](v)) } })
            #expect(k.first == 0x4A && v.count > 8)
            try txn.put(k, Array(v[..<8]) + Array("01/09506000134352/10/FORGED".utf8), in: db)
        }
        let forged = try Ledger.open(at: dir.path("store")).verify()
        #expect(forged.problem?.reason.contains("does not say what the record states") == true, "\(String(describing: forged.problem))")
        try Ledger.open(at: dir.path("store")).reindex()
        try env.write { txn in
            let db = try txn.openDatabase("trace", create: false)
            try txn.put([0x53] + Array("supplier/FORGED".utf8) + [0] + [0, 0, 0, 0, 0, 0, 0, 1], [UInt8](), in: db)
        }
        let added = try Ledger.open(at: dir.path("store")).verify()
        #expect(added.problem?.reason.contains("edges but the records state") == true, "\(String(describing: added.problem))")
    }
}

