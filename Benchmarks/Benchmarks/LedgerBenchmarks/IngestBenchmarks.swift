// Connector benchmarks (issue 8): end to end — parse, map, validate, sign, append, durable.
import Benchmark
import Foundation
import PassportIngest
import PassportLedger
import PassportModel

/// A Debezium mapping for ERP production orders (one `batch.produced` per order).
let debeziumMapping = """
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
                let before = ingest.pendingStates
                var mapped: [DebeziumIngest.Mapped] = []
                let chunk = Array(lines[batchStart..<min(lines.count, batchStart + 4096)])
                let parsed = parallelMap(chunk) { line in Result<JSONValue, any Error> { try DebeziumMapper.parse(line) } }
                for (i, line) in chunk.enumerated() {
                    mapped.append(try! ingest.map(line, parsed: parsed[i], origin: "bench:\(batchStart + i)"))
                }
                let signing = ingest.signing
                let subs = parallelMap(mapped) { signing.submission($0)! }
                let pending = try! ledger.startAppend(subs)
                if let (p, states) = inFlight {
                    appended += try! p.wait().filter { if case .appended = $0 { true } else { false } }.count
                    ingest.batchAppended(states: states)
                }
                inFlight = (pending, ingest.pendingStates - before)
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
