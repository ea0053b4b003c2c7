// Connector benchmarks (issue 8): end to end — parse, map, validate, sign, append, durable.
import Benchmark
import Foundation
import PassportDemoData
import PassportIngest
import PassportLedger
import PassportModel

/// The Debezium mapping of ERP production orders (one `batch.produced` per order).
let debeziumMapping = DemoDataSet.erpProductionOrdersMapping

/// One PostgreSQL change envelope (without the schema wrapper) creating order `i`.
func orderEnvelope(_ i: Int) -> [UInt8] {
    Array(#"{"before":null,"after":{"order_id":\#(i),"material_gtin":"09506000134352","batch_no":"LOT-\#(i)","qty_done":\#(100 + i % 900),"plant":"PLANT-\#(i % 4)","finish_date":\#(20000 + i % 400),"country":"DE"},"source":{"version":"2.7.0.Final","connector":"postgresql","name":"erp","ts_ms":1764000000000,"snapshot":"false","db":"erp","schema":"erp","table":"production_orders","txId":\#(1000 + i),"lsn":\#(24_000_000 + i * 64)},"op":"c","ts_ms":1764000000001}"#.utf8)
}

enum IngestState {
    nonisolated(unsafe) static var ledger: Ledger?
    nonisolated(unsafe) static var mappingFile: String = ""
    nonisolated(unsafe) static var next = 0
}

func ingestBenchmarks() {
    epcisBenchmark()
    Benchmark(
        "Ingest Debezium change events, end to end, durable",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident, .custom("events/s", polarity: .prefersLarger)], maxIterations: 6),
        closure: { benchmark in
            let ledger = IngestState.ledger!
            var ingest = try! DebeziumIngest(ledger: ledger, source: "erp", mappingFile: IngestState.mappingFile)
            let lines = (IngestState.next..<(IngestState.next + perIteration)).map(orderEnvelope)
            IngestState.next += perIteration
            let start = DispatchTime.now().uptimeNanoseconds
            benchmark.startMeasurement()
            // As dpp ingest debezium does: map in order, sign and check on all cores, and map the next
            // batch while the previous one commits.
            var appended = 0
            var inFlight: (PendingAppend, Int)?
            for batchStart in stride(from: 0, to: lines.count, by: 4096) {
                let chunk = lines[batchStart..<min(lines.count, batchStart + 4096)].enumerated()
                let batch = try! ingest.batch(chunk.map { DebeziumIngest.Input(bytes: $1, origin: "bench:\(batchStart + $0)", noun: "line") })
                let pending = try! ledger.startAppend(batch.submissions)
                if let (p, states) = inFlight {
                    appended += try! p.wait().filter { if case .appended = $0 { true } else { false } }.count
                    ingest.batchAppended(states: states)
                }
                inFlight = (pending, batch.states)
            }
            if let (p, _) = inFlight { appended += try! p.wait().filter { if case .appended = $0 { true } else { false } }.count }
            benchmark.stopMeasurement()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(appended == perIteration, "every change must be appended, got \(appended)")
            benchmark.measurement(.custom("events/s", polarity: .prefersLarger), Int(Double(appended) / seconds))
        },
        setup: {
            let url = benchRoot.appendingPathComponent("ingest-debezium")
            try? FileManager.default.removeItem(at: url)
            let ledger = try Ledger.create(at: url, origin: "bench.example/log")
            try ledger.addKey(name: "erp", kind: "erp")
            IngestState.mappingFile = benchRoot.appendingPathComponent("debezium-mapping.yaml").path
            try Data(debeziumMapping.utf8).write(to: URL(fileURLWithPath: IngestState.mappingFile))
            IngestState.ledger = ledger
            IngestState.next = 0
        },
        teardown: { IngestState.ledger = nil })
}


enum EPCISState {
    nonisolated(unsafe) static var ledger: Ledger?
    nonisolated(unsafe) static var next = 0
}

func epcisBenchmark() {
    Benchmark(
        "Ingest an EPCIS document of shipping events, end to end, durable",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident, .custom("events/s", polarity: .prefersLarger)], maxIterations: 6),
        closure: { benchmark in
            let ledger = EPCISState.ledger!
            let ingest = try! EPCISIngest(ledger: ledger, source: "wms")
            let document = DemoDataSet.shippingDocument(EPCISState.next..<(EPCISState.next + perIteration))
            EPCISState.next += perIteration
            let start = DispatchTime.now().uptimeNanoseconds
            benchmark.startMeasurement()
            // As dpp ingest epcis does: parse the document on all cores, map and sign a slice while
            // the previous ones commit (two queued behind the one committing).
            var appended = 0
            var inFlight: [PendingAppend] = []
            func finish(_ p: PendingAppend) { appended += try! p.wait().filter { if case .appended = $0 { true } else { false } }.count }
            ingest.slices(document, input: "bench") { items, _ in
                inFlight.append(try! ledger.startAppend(items.flatMap(\.submissions)))
                if inFlight.count > 2 { finish(inFlight.removeFirst()) }
            }
            inFlight.forEach(finish)
            benchmark.stopMeasurement()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(appended == perIteration, "every shipment must be appended, got \(appended)")
            benchmark.measurement(.custom("events/s", polarity: .prefersLarger), Int(Double(appended) / seconds))
        },
        setup: {
            let url = benchRoot.appendingPathComponent("ingest-epcis")
            try? FileManager.default.removeItem(at: url)
            let ledger = try Ledger.create(at: url, origin: "bench.example/log")
            try ledger.addKey(name: "wms", kind: "wms")
            EPCISState.ledger = ledger
            EPCISState.next = 0
        },
        teardown: { EPCISState.ledger = nil })
}
