import Foundation
import PassportAudit
import PassportIngest
import PassportLedger
import PassportModel
import PassportTestSupport
import Testing

/// The recall trace replayed from records (the reference the trace index will be tested against).
@Suite("Recall trace by replay")
struct RecallTraceTests {
    static let pack = "01/09506000134352"  // the product
    static let module = "01/09506000134369"  // its sub-assembly
    static func lot(_ model: String, _ l: String) -> String { "\(model)/10/\(l)" }

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
        #expect(cellco["markets"] == ["DE": 4, "FR": 10, "NO": 6])
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
