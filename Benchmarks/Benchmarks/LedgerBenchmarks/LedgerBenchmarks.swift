// Benchmarks for the ledger core (issue 2). Figures are reported as custom metrics:
//   append events/s (1 KiB pre-signed events, parsed, signature-verified, durable),
//   verify records/s, inclusion proof µs at 1,000,000 records, peak RSS while appending 1,000,000 events.
import Benchmark
import Foundation
import PassportAudit
import PassportLedger
import PassportModel

/// Scratch stores live under $DPP_BENCH_DIR (default /tmp/dpp-bench); the 1M-record store is reused between runs.
let benchRoot = URL(fileURLWithPath: ProcessInfo.processInfo.environment["DPP_BENCH_DIR"] ?? "/tmp/dpp-bench")

func freshStore(_ name: String) throws -> Ledger {
    let url = benchRoot.appendingPathComponent(name)
    try? FileManager.default.removeItem(at: url)
    let ledger = try Ledger.create(at: url, origin: "bench.example/log")
    try ledger.addKey(name: "plm")
    return ledger
}

/// One event's JSON line of about 1 KiB.
func eventLine(_ i: Int, padding: Int = 760) -> String {
    #"{"type":"bom.released","subject":"01/09506000134352/21/SN\#(i % 1000)","source":"plm","sourceRef":"ECN-\#(i)","createdAt":"2026-11-20T09:15:00.000000Z","data":{"revision":"A","lines":[{"part":"CELL-NMC811","quantity":14,"massKg":0.07}],"notes":"\#(String(repeating: "x", count: padding))"}}"#
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
func appendPipelined(_ ledger: Ledger, _ lines: [[UInt8]], batch: Int = 2048) throws -> Int {
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
}

let perIteration = 16_384

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident], warmupIterations: 0, maxDuration: .seconds(60), maxIterations: 5)

    Benchmark(
        "Append 1 KiB signed events, durable",
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
            let ledger = try freshStore("append")
            State.appendLedger = ledger
            State.appendLines = signedLines(0..<(perIteration * 9), signer: try ledger.sourceSigner("plm"))
            State.appendNext = 0
        },
        teardown: { State.appendLedger = nil })

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
}
