// Recall trace benchmarks (issue 11): on a store of 1,000,000 items (100 models, 5,000 batches,
// 50 suppliers, two-level BoMs with two revisions each), the recall scope of a supplier, the trace
// of a batch down to its suppliers, and what the trace index costs on the append path.
import Benchmark
import Foundation
import PassportAudit
import PassportDemoData
import PassportIngest
import PassportLedger
import PassportModel

/// The recall data set, generated deterministically. 20 sub-assembly models (3 supplier lines
/// each) and 80 products (one sub-assembly line, 3 supplier lines), each with revision A from
/// 2026-01-01 and B from 2026-07-01 (one supplier replaced); 50 batches a model produced through
/// 2026; each product batch consumes a sub-assembly lot (genealogy), holds 250 items and leaves in 4
/// shipments to 8 markets; every 100th item also ships on its own; 3 declarations a supplier
/// (conflict minerals in two validity periods, recycled content that expires).
enum RecallDataSet {
    static let suppliers = (0..<50).map { String(format: "supplier/S%02d", $0) }
    static let subAssemblies = (0..<20).map { "01/" + DemoDataSet.gtin(2000 + $0) }
    static let products = (0..<80).map { "01/" + DemoDataSet.gtin(2100 + $0) }
    static let batchesPerModel = 50
    static let itemsPerBatch = 250
    static let markets = ["DE", "FR", "NO", "IT", "ES", "PL", "NL", "SE"]
    static let items = products.count * batchesPerModel * itemsPerBatch  // 1,000,000

    static func day(_ d: Int) -> String { Timestamp(microsecondsSinceEpoch: (1_767_225_600 + Int64(d) * 86_400) * 1_000_000).description }
    static func productionDay(_ b: Int) -> Int { (b * 7) % 364 }
    static func lot(_ model: String, _ tag: String, _ b: Int) -> String { "\(model)/10/\(tag)\(b)" }
    static func productLot(_ j: Int, _ b: Int) -> String { lot(products[j], "P", b) }
    static func subLot(_ i: Int, _ b: Int) -> String { lot(subAssemblies[i], "S", b) }

    static func line(_ part: String, supplier: String? = nil, component: String? = nil) -> String {
        (supplier.map { #"{"part":"\#(part)","quantity":2,"massKg":0.5,"material":"steel","supplier":"\#($0)"}"# })
            ?? #"{"part":"\#(part)","quantity":1,"massKg":2,"material":"assembly","component":"\#(component!)"}"#
    }

    static func bom(_ model: String, _ rev: String, from: String, _ lines: [String]) -> String {
        #"{"type":"bom.released","subject":"\#(model)","sourceRef":"BOM-\#(model)-\#(rev)","createdAt":"2026-01-01T00:00:00Z","validFrom":"\#(from)","data":{"revision":"\#(rev)","lifecycle":"released","lines":[\#(lines.joined(separator: ","))]}}"#
    }

    /// The PLM's BoMs: revision B replaces the last supplier line.
    static func boms() -> [String] {
        var out: [String] = []
        for (i, m) in subAssemblies.enumerated() {
            let s = (0..<3).map { suppliers[(i * 3 + $0 * 17) % 50] }
            out.append(bom(m, "A", from: day(0), s.enumerated().map { line("SUB-P\($0.offset)", supplier: $0.element) }))
            out.append(bom(m, "B", from: day(181), (s.dropLast() + [suppliers[(i * 3 + 7) % 50]]).enumerated().map { line("SUB-P\($0.offset)", supplier: $0.element) }))
        }
        for (j, m) in products.enumerated() {
            let s = (0..<3).map { suppliers[(j * 7 + $0 * 13 + 1) % 50] }
            let component = line("MODULE", component: subAssemblies[j % 20])
            out.append(bom(m, "A", from: day(0), [component] + s.enumerated().map { line("P\($0.offset)", supplier: $0.element) }))
            out.append(bom(m, "B", from: day(181), [component] + (s.dropLast() + [suppliers[(j * 7 + 29) % 50]]).enumerated().map { line("P\($0.offset)", supplier: $0.element) }))
        }
        return out
    }

    static func batchProduced(_ subject: String, _ b: Int) -> String {
        #"{"type":"batch.produced","subject":"\#(subject)","sourceRef":"B-\#(subject)","createdAt":"2026-01-01T00:00:00Z","data":{"quantity":\#(itemsPerBatch),"facility":"facility/PLANT-1","productionDate":"\#(day(productionDay(b)).prefix(10))"}}"#
    }

    /// The ERP's batches (sub-assemblies first) and genealogy.
    static func batches() -> [String] {
        var out: [String] = []
        for i in subAssemblies.indices { for b in 0..<batchesPerModel { out.append(batchProduced(subLot(i, b), b)) } }
        for j in products.indices {
            for b in 0..<batchesPerModel {
                out.append(batchProduced(productLot(j, b), b))
                out.append(#"{"type":"batch.transformed","subject":"\#(productLot(j, b))","sourceRef":"GEN-\#(productLot(j, b))","createdAt":"2026-01-01T00:00:00Z","data":{"inputs":[{"subject":"\#(subLot(j % 20, b))","quantity":\#(itemsPerBatch)}]}}"#)
            }
        }
        return out
    }

    /// Item `n` (0..<1,000,000): product n / 12,500, batch (n / 250) % 50.
    static func itemSubject(_ n: Int) -> String {
        let j = n / (batchesPerModel * itemsPerBatch), b = (n / itemsPerBatch) % batchesPerModel
        return "\(products[j])/21/J\(j)B\(b)N\(n % itemsPerBatch)"
    }

    static func itemRegistered(_ n: Int) -> String {
        let b = (n / itemsPerBatch) % batchesPerModel
        return #"{"type":"item.registered","subject":"\#(itemSubject(n))","sourceRef":"SN-\#(n)","createdAt":"2026-01-01T00:00:00Z","data":{"lot":"P\#(b)"}}"#
    }

    static func shipment(_ subject: String, _ id: String, _ market: String, _ quantity: Int) -> String {
        #"{"type":"shipment.dispatched","subject":"\#(subject)","sourceRef":"\#(id)","createdAt":"2026-01-01T00:00:00Z","data":{"shipmentId":"\#(id)","destination":"\#(market)","quantity":\#(quantity)}}"#
    }

    /// The WMS's shipments: 4 per product batch, and every 100th item on its own.
    static func shipments() -> [String] {
        var out: [String] = []
        for j in products.indices {
            for b in 0..<batchesPerModel {
                for k in 0..<4 { out.append(shipment(productLot(j, b), "SHP-\(j)-\(b)-\(k)", markets[(j + b + k) % 8], itemsPerBatch / 4)) }
            }
        }
        for n in stride(from: 0, to: items, by: 100) { out.append(shipment(itemSubject(n), "PCL-\(n)", "US", 1)) }
        return out
    }

    static func declarations(_ i: Int) -> [String] {
        func d(_ kind: String, _ from: Int, _ until: Int) -> String {
            #"{"type":"declaration.recorded","subject":"\#(suppliers[i])","sourceRef":"D-\#(i)-\#(kind)-\#(from)","createdAt":"2026-01-01T00:00:00Z","validFrom":"\#(day(from))","validUntil":"\#(day(until))","data":{"kind":"\#(kind)","scope":"all"}}"#
        }
        return [d("conflict-minerals", -200, 150), d("conflict-minerals", 150, 515), d("recycled-content", 0, 240)]
    }

    static var recordCount: Int {
        2 + 3 + suppliers.count + boms().count + subAssemblies.count * batchesPerModel + products.count * batchesPerModel * 2 + items
            + products.count * batchesPerModel * 4 + items / 100 + suppliers.count * 3
    }
}

/// Appends JSON lines signed on the fly by `source`'s key, 4,096 a transaction, the next batch
/// signed while the previous one commits.
func appendUnsigned(_ ledger: Ledger, source: String, _ count: Int, _ line: @escaping @Sendable (Int) -> String) throws {
    let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: nil))
    var inFlight: PendingAppend?
    for start in stride(from: 0, to: count, by: 4096) {
        let subs = parallelMap(Array(start..<min(count, start + 4096))) { ingestor.submission(line: Array(line($0).utf8), origin: "bench") }
        let pending = try ledger.startAppend(subs)
        if let p = inFlight { try check(p) }
        inFlight = pending
    }
    if let p = inFlight { try check(p) }
}

func check(_ p: PendingAppend) throws {
    let outcomes = try p.wait()
    precondition(outcomes.allSatisfy { $0.record != nil }, "every event of the data set must be appended: \(outcomes.first { $0.record == nil }!)")
}

/// Builds (or reuses) the 1,000,000-item store.
func recallStore() throws -> Ledger {
    let url = benchRoot.appendingPathComponent("recall-1m")
    if let existing = try? Ledger.open(at: url), (try? existing.size()) == UInt64(RecallDataSet.recordCount) { return existing }
    try? FileManager.default.removeItem(at: url)
    try FileManager.default.createDirectory(at: benchRoot, withIntermediateDirectories: true)
    let ledger = try Ledger.create(at: url, origin: "bench.example/log")
    for (name, kind) in [("plm", "plm"), ("erp", "erp"), ("wms", "wms")] { try ledger.addKey(name: name, kind: kind) }
    for i in RecallDataSet.suppliers.indices { try ledger.addKey(name: "s\(i)", kind: "supplier") }
    let boms = RecallDataSet.boms(), batches = RecallDataSet.batches(), shipments = RecallDataSet.shipments()
    try appendUnsigned(ledger, source: "plm", boms.count) { boms[$0] }
    try appendUnsigned(ledger, source: "erp", batches.count) { batches[$0] }
    try appendUnsigned(ledger, source: "erp", RecallDataSet.items, RecallDataSet.itemRegistered)
    try appendUnsigned(ledger, source: "wms", shipments.count) { shipments[$0] }
    for i in RecallDataSet.suppliers.indices {
        let d = RecallDataSet.declarations(i)
        try appendUnsigned(ledger, source: "s\(i)", d.count) { d[$0] }
    }
    let size = try ledger.size()
    precondition(size == UInt64(RecallDataSet.recordCount), "the recall store has \(size) records, expected \(RecallDataSet.recordCount)")
    return ledger
}

enum TraceState {
    nonisolated(unsafe) static var ledger: Ledger?
    nonisolated(unsafe) static var next = 0
}

/// Pre-signed lines of what a 1,000,000-item store is mostly made of: item registrations (9 in
/// 10, with their lots) and shipments, signed by the ERP's and the WMS's keys.
func itemLines(_ range: Range<Int>, erp: NoteSigner, wms: NoteSigner) -> [[UInt8]] {
    parallelMap(Array(range)) { n in
        let (json, signer, source) = n % 10 == 9
            ? (RecallDataSet.shipment(RecallDataSet.itemSubject(n), "PCL-\(n)", "US", 1), wms, "wms") : (RecallDataSet.itemRegistered(n), erp, "erp")
        // As a source signs them: its name in the event, times in canonical form.
        var o = try! JSONParser.parse(json).objectValue!
        o["source"] = .string(source)
        o["createdAt"] = .string(try! Timestamp(rfc3339: o["createdAt"]!.stringValue!).description)
        let event = try! Event(json: .object(o))
        return CanonicalJSON.encode(SignedEvent(event: event, signature: EventSignature(key: signer.verifier.reference, sig: signer.key.sign(event.signatureInput))).json)
    }
}

func traceBenchmarks() {
    let scopeMetrics: [BenchmarkMetric] = [.wallClock, .custom("items in scope"), .custom("shipments in scope")]
    Benchmark(
        "Recall scope of a supplier, 1,000,000 items (each of the 50 in turn)",
        configuration: .init(metrics: scopeMetrics, warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 50),
        closure: { benchmark in
            let supplier = try! Subject(RecallDataSet.suppliers[TraceState.next % 50])
            TraceState.next += 1
            benchmark.startMeasurement()
            let (scope, records) = try! TraceState.ledger!.traceUp(supplier: supplier)
            benchmark.stopMeasurement()
            precondition(!records.isEmpty && !(scope["batches"]?.arrayValue ?? []).isEmpty, "every supplier of the data set reaches batches")
            benchmark.measurement(.custom("items in scope"), scope["items"]?.arrayValue?.count ?? 0)
            benchmark.measurement(.custom("shipments in scope"), scope["shipments"]?.arrayValue?.count ?? 0)
        },
        setup: { TraceState.ledger = try recallStore(); TraceState.next = 0 },
        teardown: { TraceState.ledger = nil })
    Benchmark(
        "Recall scope of the supplier reaching most items (175,000 of 1,000,000)",
        configuration: .init(metrics: scopeMetrics, warmupIterations: 2, maxDuration: .seconds(30), maxIterations: 50),
        closure: { benchmark in
            // S05 reaches 14 of the 80 products (12,500 items each): 175,000 items, 4,550 shipments.
            benchmark.startMeasurement()
            let (scope, _) = try! TraceState.ledger!.traceUp(supplier: try! Subject("supplier/S05"))
            benchmark.stopMeasurement()
            let items = scope["items"]?.arrayValue?.count ?? 0
            precondition(items == 175_000, "the largest scope of the data set has 175,000 items, not \(items)")
            benchmark.measurement(.custom("items in scope"), items)
            benchmark.measurement(.custom("shipments in scope"), scope["shipments"]?.arrayValue?.count ?? 0)
        },
        setup: { TraceState.ledger = try recallStore() },
        teardown: { TraceState.ledger = nil })
    Benchmark(
        "Recall scope of a supplier in a 30-day production window, 1,000,000 items",
        configuration: .init(metrics: scopeMetrics, warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 50),
        closure: { benchmark in
            let supplier = try! Subject(RecallDataSet.suppliers[TraceState.next % 50])
            let from = try! Timestamp(dateOrDateTime: String(RecallDataSet.day(TraceState.next * 37 % 330).prefix(10)))
            TraceState.next += 1
            benchmark.startMeasurement()
            let (scope, _) = try! TraceState.ledger!.traceUp(supplier: supplier, from: from, to: Timestamp(microsecondsSinceEpoch: from.microseconds + 30 * 86_400_000_000))
            benchmark.stopMeasurement()
            benchmark.measurement(.custom("items in scope"), scope["items"]?.arrayValue?.count ?? 0)
            benchmark.measurement(.custom("shipments in scope"), scope["shipments"]?.arrayValue?.count ?? 0)
        },
        setup: { TraceState.ledger = try recallStore(); TraceState.next = 0 },
        teardown: { TraceState.ledger = nil })
    Benchmark(
        "Batch trace down to suppliers, 1,000,000 items",
        configuration: .init(metrics: [.wallClock], warmupIterations: 10, maxDuration: .seconds(20), maxIterations: 2_000),
        closure: { benchmark in
            let n = TraceState.next
            TraceState.next += 1
            let batch = try! Subject(RecallDataSet.productLot(n * 13 % 80, n * 7 % 50))
            benchmark.startMeasurement()
            let (tree, _) = try! TraceState.ledger!.traceDown(batch)
            benchmark.stopMeasurement()
            precondition(tree["components"] != nil && tree["problem"] == nil, "the batch must trace down")
        },
        setup: { TraceState.ledger = try recallStore(); TraceState.next = 0 },
        teardown: { TraceState.ledger = nil })
    for traceIndex in [true, false] {
        appendBenchmark(
            "Append item registrations and shipments, durable, trace index \(traceIndex ? "on" : "off")", store: "append-items-\(traceIndex)",
            options: .init(traceIndex: traceIndex)
        ) { ledger in
            try ledger.addKey(name: "erp", kind: "erp")
            try ledger.addKey(name: "wms", kind: "wms")
            return itemLines(0..<(perIteration * 9), erp: try ledger.sourceSigner("erp"), wms: try ledger.sourceSigner("wms"))
        }
    }
}
