// Benchmarks for the ledger core (issue 2). Figures are reported as custom metrics:
//   append events/s (1 KiB pre-signed events, parsed, signature-verified, durable),
//   verify records/s, inclusion proof µs at 1,000,000 records, peak RSS while appending 1,000,000 events.
import Benchmark
import Foundation
import PassportAudit
import PassportDemoData
import PassportIngest
import PassportLedger
import PassportModel

/// Scratch stores live under $DPP_BENCH_DIR (default /tmp/dpp-bench); the 1M-record store is reused between runs.
let benchRoot = URL(fileURLWithPath: ProcessInfo.processInfo.environment["DPP_BENCH_DIR"] ?? "/tmp/dpp-bench")

func freshStore(_ name: String, options: Ledger.Options = .init()) throws -> Ledger {
    let url = benchRoot.appendingPathComponent(name)
    try? FileManager.default.removeItem(at: url)
    let ledger = try Ledger.create(at: url, origin: "bench.example/log", options: options)
    try ledger.addKey(name: "plm")
    return ledger
}

/// One event's JSON line of about 1 KiB.
func eventLine(_ i: Int, padding: Int = 760) -> String {
    #"{"type":"bom.released","subject":"01/09506000134352/10/LOT\#(i % 1000)","source":"plm","sourceRef":"ECN-\#(i)","createdAt":"2026-11-20T09:15:00.000000Z","data":{"revision":"A","lifecycle":"released","lines":[{"part":"CELL-NMC811","quantity":14,"massKg":0.07,"material":"NMC811","description":"\#(String(repeating: "x", count: padding))"}]}}"#
}

/// Pre-signed lines (`{"event":…,"signature":…}`), as a source that signs on its own side sends them.
func signedLines(_ range: Range<Int>, signer: NoteSigner) -> [[UInt8]] {
    parallelMap(Array(range)) { i in
        let event = try! Event(json: try! JSONParser.parse(eventLine(i)))
        let signed = SignedEvent(event: event, signature: EventSignature(key: signer.verifier.reference, sig: signer.key.sign(event.signatureInput)))
        return CanonicalJSON.encode(signed.json)
    }
}

/// Appends lines as `dpp append --signed` does: parse in parallel, verify, commit, with the next batch prepared during the commit.
func appendPipelined(_ ledger: Ledger, _ lines: [[UInt8]], batch: Int = 4096) throws -> Int {
    let ingestor = try Ingestor(ledger: ledger, mode: .signed)
    var inFlight: PendingAppend?
    var appended = 0
    var start = 0
    while start < lines.count {
        let chunk = Array(lines[start..<min(lines.count, start + batch)])
        let subs = parallelMap(chunk) { ingestor.submission(line: $0, origin: "bench") }
        let pending = try ledger.startAppend(subs)
        if let p = inFlight { appended += try p.wait().filter { $0.record != nil }.count }
        inFlight = pending
        start += batch
    }
    if let p = inFlight { appended += try p.wait().filter { $0.record != nil }.count }
    return appended
}

/// Builds (or reuses) a store of `count` records, streaming unsigned events signed on the fly.
func bigStore(_ count: Int) throws -> Ledger {
    let url = benchRoot.appendingPathComponent("store-\(count)")
    if let existing = try? Ledger.open(at: url), (try? existing.size()) == UInt64(count + 2) { return existing }
    let ledger = try freshStore("store-\(count)")
    try fillUnsigned(ledger, count)
    return ledger
}

func fillUnsigned(_ ledger: Ledger, _ count: Int, padding: Int = 760) throws {
    let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: "plm", baseDirectory: nil))
    var inFlight: PendingAppend?
    for start in stride(from: 0, to: count, by: 4096) {
        let subs = parallelMap(Array(start..<min(count, start + 4096))) { i in
            ingestor.submission(line: Array(eventLine(i, padding: padding).utf8), origin: "bench")
        }
        let pending = try ledger.startAppend(subs)
        _ = try inFlight?.wait()
        inFlight = pending
    }
    _ = try inFlight?.wait()
}

/// Samples this process's anonymous resident memory (RSS without file-backed pages such as the
/// LMDB map, which the requirement sets aside) and keeps the peak.
final class AnonymousMemoryPeak: @unchecked Sendable {
    // @unchecked: `peak` and `running` are only touched under `lock`.
    private let lock = NSLock()
    private var peak = 0
    private var running = true

    static func current() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("RssAnon:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0").map { $0 * 1024 } ?? 0
        }
        return 0
    }

    init() {
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                let now = Self.current()
                lock.withLock { peak = max(peak, now) }
                usleep(20_000)
            }
        }
    }

    /// Stops sampling and returns the peak in bytes.
    func stop() -> Int {
        lock.withLock {
            running = false
            return max(peak, Self.current())
        }
    }
}

final class State: @unchecked Sendable {
    // @unchecked: set in a benchmark's setup, read by its iterations, which the runner does not overlap.
    nonisolated(unsafe) static var appendLedger: Ledger?
    nonisolated(unsafe) static var appendLines: [[UInt8]] = []
    nonisolated(unsafe) static var appendNext = 0
    nonisolated(unsafe) static var verifyLedger: Ledger?
    nonisolated(unsafe) static var proofLedger: Ledger?
    nonisolated(unsafe) static var passportLedger: Ledger?
    nonisolated(unsafe) static var passportItem: Subject?
    nonisolated(unsafe) static var passportModel: Subject?
    nonisolated(unsafe) static var busySubject: Subject?
    nonisolated(unsafe) static var busyTimes: [Timestamp] = []
    nonisolated(unsafe) static var demoItem: Subject?
}

let perIteration = 16_384

/// Bulk append of pre-signed events (by default 1 KiB events signed by `plm`; `lines` makes them,
/// registering the keys it signs with) into a fresh store with the given options.
func appendBenchmark(
    _ name: String, store: String, options: Ledger.Options,
    lines: @escaping @Sendable (Ledger) throws -> [[UInt8]] = { signedLines(0..<(perIteration * 9), signer: try $0.sourceSigner("plm")) }
) {
    Benchmark(
        name,
        configuration: .init(metrics: [.wallClock, .peakMemoryResident, .custom("events/s", polarity: .prefersLarger)], maxIterations: 8),
        closure: { benchmark in
            let lines = Array(State.appendLines[State.appendNext..<(State.appendNext + perIteration)])
            State.appendNext += perIteration
            let start = DispatchTime.now().uptimeNanoseconds
            benchmark.startMeasurement()
            let n = try! appendPipelined(State.appendLedger!, lines)
            benchmark.stopMeasurement()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(n == perIteration, "all events must be appended")
            benchmark.measurement(.custom("events/s", polarity: .prefersLarger), Int(Double(n) / seconds))
        },
        setup: {
            let ledger = try freshStore(store, options: options)
            State.appendLedger = ledger
            State.appendLines = try lines(ledger)
            State.appendNext = 0
        },
        teardown: { State.appendLedger = nil })
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident], warmupIterations: 0, maxDuration: .seconds(60), maxIterations: 5)

    ingestBenchmarks()
    kafkaBenchmarks()
    qrBenchmarks()
    traceBenchmarks()

    appendBenchmark("Append 1 KiB signed events, durable", store: "append", options: .init())
    appendBenchmark(
        "Append 1 KiB signed events, durable, without validation and policy checks", store: "append-nogov", options: .init(governance: false))

    Benchmark(
        "Verify 100,000 records",
        configuration: .init(metrics: [.wallClock, .custom("records/s", polarity: .prefersLarger)], maxIterations: 3),
        closure: { benchmark in
            let start = DispatchTime.now().uptimeNanoseconds
            benchmark.startMeasurement()
            let report = try! State.verifyLedger!.verify()
            benchmark.stopMeasurement()
            precondition(report.isIntact)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            benchmark.measurement(.custom("records/s", polarity: .prefersLarger), Int(Double(report.records) / seconds))
        },
        setup: { State.verifyLedger = try bigStore(100_000) },
        teardown: { State.verifyLedger = nil })

    Benchmark(
        "Inclusion proof at 1,000,000 records",
        configuration: .init(metrics: [.wallClock, .custom("ns per proof")], maxIterations: 20),
        closure: { benchmark in
            let ledger = State.proofLedger!
            let size = try! ledger.size()
            var rng = SystemRandomNumberGenerator()
            let start = DispatchTime.now().uptimeNanoseconds
            let proofs = 1000
            for _ in 0..<proofs {
                blackHole(try! ledger.proofBundle(index: UInt64.random(in: 0..<size, using: &rng)))
            }
            let ns = (DispatchTime.now().uptimeNanoseconds - start) / UInt64(proofs)
            benchmark.measurement(.custom("ns per proof"), Int(ns))
        },
        setup: { State.proofLedger = try bigStore(1_000_000) },
        teardown: { State.proofLedger = nil })

    Benchmark(
        "Append 1,000,000 events (peak RSS)",
        configuration: .init(
            metrics: [.wallClock, .peakMemoryResident, .custom("peak RSS without the LMDB map (MB)"), .custom("events/s", polarity: .prefersLarger)],
            maxIterations: 1),
        closure: { benchmark in
            let ledger = try! freshStore("million")
            let memory = AnonymousMemoryPeak()
            let start = DispatchTime.now().uptimeNanoseconds
            benchmark.startMeasurement()
            try! fillUnsigned(ledger, 1_000_000)
            benchmark.stopMeasurement()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            benchmark.measurement(.custom("peak RSS without the LMDB map (MB)"), memory.stop() >> 20)
            benchmark.measurement(.custom("events/s", polarity: .prefersLarger), Int(1_000_000 / seconds))
        })

    Benchmark(
        "Current passport of a model",
        configuration: .init(metrics: [.wallClock, .custom("µs per passport")], maxIterations: 20),
        closure: { benchmark in
            let n = 1000
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<n { blackHole(try! State.passportLedger!.passport(State.passportModel!)) }
            benchmark.measurement(.custom("µs per passport"), Int((DispatchTime.now().uptimeNanoseconds - start) / UInt64(n) / 1000))
        },
        setup: { try passportSetup() },
        teardown: { State.passportLedger = nil })

    Benchmark(
        "Current passport of a demo item (model + batch + item + declarations)",
        configuration: .init(metrics: [.wallClock, .custom("µs per passport")], maxIterations: 20),
        closure: { benchmark in
            let n = 1000
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<n { blackHole(try! State.passportLedger!.passport(State.demoItem!)) }
            benchmark.measurement(.custom("µs per passport"), Int((DispatchTime.now().uptimeNanoseconds - start) / UInt64(n) / 1000))
        },
        setup: { try passportSetup() },
        teardown: { State.passportLedger = nil })

    Benchmark(
        "Item passport: model + batch + item, 200-line BoM, 20 supplier declarations",
        configuration: .init(metrics: [.wallClock, .custom("µs per passport")], maxIterations: 20),
        closure: { benchmark in
            let n = 100
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<n {
                let p = try! State.passportLedger!.passport(State.passportItem!)
                precondition(p.entries.filter { $0.field == "declarations" }.count >= 20)
                blackHole(p)
            }
            benchmark.measurement(.custom("µs per passport"), Int((DispatchTime.now().uptimeNanoseconds - start) / UInt64(n) / 1000))
        },
        setup: { try passportSetup() },
        teardown: { State.passportLedger = nil })

    Benchmark(
        "As-of query on a subject with 10,000 records",
        configuration: .init(metrics: [.wallClock, .custom("p99 µs"), .custom("p50 µs")], maxIterations: 5),
        closure: { benchmark in
            var rng = SystemRandomNumberGenerator()
            var samples: [UInt64] = []
            let validTimes = ["2026-01-01", "2026-06-01", "2027-01-01", "2027-06-01", "2028-01-01"].map { try! Timestamp(rfc3339: $0 + "T00:00:00Z") }
            for _ in 0..<500 {
                let asOf = State.busyTimes.randomElement(using: &rng)!
                let validAt = validTimes.randomElement(using: &rng)!
                let start = DispatchTime.now().uptimeNanoseconds
                blackHole(try! State.passportLedger!.passport(State.busySubject!, asOf: asOf, validAt: validAt))
                samples.append(DispatchTime.now().uptimeNanoseconds - start)
            }
            samples.sort()
            benchmark.measurement(.custom("p99 µs"), Int(samples[samples.count * 99 / 100] / 1000))
            benchmark.measurement(.custom("p50 µs"), Int(samples[samples.count / 2] / 1000))
        },
        setup: { try passportSetup() },
        teardown: { State.passportLedger = nil })

    Benchmark(
        "Reindex 1,000,000 records",
        configuration: .init(metrics: [.wallClock, .custom("records/s", polarity: .prefersLarger)], maxIterations: 1),
        closure: { benchmark in
            let ledger = try! bigStore(1_000_000)
            let start = DispatchTime.now().uptimeNanoseconds
            benchmark.startMeasurement()
            let n = try! ledger.reindex()
            benchmark.stopMeasurement()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            benchmark.measurement(.custom("records/s", polarity: .prefersLarger), Int(Double(n) / seconds))
        })
}

/// A store with the demo data set, one item whose model has a 200-line BoM naming 20 suppliers
/// (each with a declaration), and one batch with 10,000 carbon-footprint revisions.
func passportSetup() throws {
    if State.passportLedger != nil { return }
    let ledger = try freshStore("passports")
    try ledger.addKey(name: "erp")
    // The demo data set (the same one the demo and the tests use) …
    let demo = DemoDataSet(.init(models: 5, batchesPerModel: 4, itemsPerBatch: 10))
    for s in DemoDataSet.sources { try ledger.addKey(name: s) }
    for (source, events) in demo.events {
        for o in try ledger.append(unsigned: events, source: source) {
            if case .rejected(let e, _) = o { throw e }
        }
    }
    State.demoItem = try Subject(demo.items[demo.items.count / 2])
    func append(_ source: String, _ events: [JSONObject]) throws {
        for o in try ledger.append(unsigned: events, source: source) {
            if case .rejected(let e, _) = o { throw e }
        }
    }
    let gtin = DemoDataSet.gtin(777)
    let model = "01/\(gtin)"
    var lines: [JSONValue] = []
    for i in 0..<200 {
        lines.append(["part": .string("PART-\(i)"), "quantity": 1, "massKg": 0.25, "material": "steel", "supplier": .string("supplier/S\(i % 20)")])
    }
    var supplierEvents: [JSONObject] = []
    for s in 0..<20 {
        supplierEvents.append(["type": "declaration.recorded", "subject": .string("supplier/S\(s)"), "sourceRef": .string("D\(s)"),
            "createdAt": "2026-01-01T00:00:00Z", "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2030-01-01T00:00:00Z",
            "data": ["kind": "conflict-minerals", "scope": "tin"]])
    }
    try append("supplier-portal", supplierEvents)
    try append("plm", [
        ["type": "product.registered", "subject": .string(model), "sourceRef": "P1", "createdAt": "2026-01-01T00:00:00Z",
            "data": ["name": "Pack", "manufacturer": "Example Cells GmbH"]],
        ["type": "bom.released", "subject": .string(model), "sourceRef": "BOM1", "createdAt": "2026-01-01T00:00:00Z",
            "data": ["revision": "A", "lifecycle": "released", "lines": .array(lines)]],
        ["type": "carbon-footprint.declared", "subject": .string(model), "sourceRef": "PCF1", "createdAt": "2026-01-01T00:00:00Z",
            "data": ["totalKgCO2e": 100, "method": "PEF"]],
    ])
    try append("erp", [
        ["type": "batch.produced", "subject": .string("\(model)/10/L1"), "sourceRef": "B1", "createdAt": "2026-01-01T00:00:00Z",
            "data": ["quantity": 100, "facility": "facility/F1", "productionDate": "2026-01-01"]],
        ["type": "item.registered", "subject": .string("\(model)/21/S1"), "sourceRef": "I1", "createdAt": "2026-01-01T00:00:00Z",
            "data": ["lot": "L1"]],
    ])
    // 10,000 records on one batch: carbon-footprint revisions with varying valid times, in 10 commits.
    let busy = "01/\(gtin)/10/BUSY"
    var times: [Timestamp] = []
    let froms = ["2026-01-01", "2026-03-01", "2026-06-01", "2026-09-01", "2027-01-01", "2027-06-01"]
    for round in 0..<10 {
        try append("plm", (0..<1000).map { i in
            let n = round * 1000 + i
            return ["type": "carbon-footprint.declared", "subject": .string(busy), "sourceRef": .string("BUSY-\(n)"), "createdAt": "2026-01-01T00:00:00Z",
                "validFrom": .string(froms[n % froms.count] + "T00:00:00Z"), "data": ["totalKgCO2e": .number(JSONNumber(n)), "method": "PEF"]]
        })
        times.append(Timestamp.now())
    }
    State.passportLedger = ledger
    State.passportModel = try Subject(model)
    State.passportItem = try Subject("\(model)/21/S1")
    State.busySubject = try Subject(busy)
    State.busyTimes = times
}
