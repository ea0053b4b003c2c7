import ArgumentParser
import Foundation
import PassportIngest
import PassportLedger
import PassportModel

/// `dpp ingest CONNECTOR`: what source systems emit, mapped to signed passport events.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "Map what a source system emits to passport events, sign them with the source's key and append them.",
        subcommands: [Debezium.self])

    struct Debezium: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Debezium change events (PostgreSQL, MySQL), one envelope a line, mapped by a YAML mapping file.",
            discussion: """
                Each envelope (with or without its schema wrapper; null is a tombstone) is mapped by --mapping \
                (Specs/connectors/debezium.md) and signed with --source's key. A replay, a redelivery, a re-snapshot or an \
                update of no mapped column writes nothing (skipped); each row's state is kept in the ledger with its event. \
                An envelope that cannot be mapped is kept in quarantine with the reason; dpp quarantine retry maps it again \
                with the mapping file as it is then. One result line per envelope, like dpp append, and a summary on stderr.

                """ + exitCodes("3 some envelopes were rejected (kept in quarantine), "))
        @OptionGroup var store: StoreOptions
        @Option(help: "The source system whose key signs the events (e.g. erp-sap).") var source: String
        @Option(help: "The mapping file (YAML).") var mapping: String
        @Option(help: "text or json.") var format: OutputFormat = .text
        @Option(help: "Envelopes per write transaction.") var batch: Int = 4096
        @Argument(help: "JSON Lines files of envelopes (- or none: stdin).") var files: [String] = []

        func validate() throws {
            if batch < 1 { throw ValidationError("--batch must be at least 1") }
        }

        /// A batch handed to the writer.
        struct Batch {
            let name: String
            let lines: [JSONLinesReader.Line]
            let skips: [Int: String]
            let submissions: [Submission]
            let pending: PendingAppend
            let states: Int
        }

        /// Waits for a batch to be durable, prints its results in input order, and forgets its row states.
        func finish(_ b: Batch, _ ingest: inout DebeziumIngest, _ summary: inout AppendSummary) throws {
            var outcomes = try b.pending.wait().makeIterator()
            var subs = b.submissions.makeIterator()
            var out = ""
            for (i, line) in b.lines.enumerated() {
                if let reason = b.skips[i] {
                    summary.skip()
                    let origin = "\(b.name):\(line.number)"
                    out += (format == .json
                        ? CanonicalJSON.string(["line": .string(origin), "result": "skipped", "reason": .string(reason)])
                        : "\(Terminal.safe(origin)) skipped: \(Terminal.safe(reason))") + "\n"
                } else if let s = subs.next(), let o = outcomes.next() {
                    out += describeOutcome(s, o, format: format) + "\n"
                    summary.count(o)
                }
            }
            ingest.batchAppended(states: b.states)
            writeOut(out)
            summary.showProgress()
        }

        func run() throws {
            try guarded {
                let ledger = try store.open()
                var ingest = try DebeziumIngest(ledger: ledger, source: source, mappingFile: mapping)
                let inputs = files.isEmpty ? ["-"] : files
                var summary = AppendSummary(name: inputs.count == 1 ? (inputs[0] == "-" ? "stdin" : (inputs[0] as NSString).lastPathComponent) : "\(inputs.count) files")
                for file in inputs {
                    let name = file == "-" ? "stdin" : (file as NSString).lastPathComponent
                    let handle: FileHandle
                    if file == "-" {
                        handle = FileHandle.standardInput
                    } else {
                        guard let h = FileHandle(forReadingAtPath: file) else { throw LedgerError(.notFound, "cannot read \(file)") }
                        handle = h
                    }
                    let reader = JSONLinesReader(handle: handle)
                    // Pipeline: while one batch commits, the next is mapped (in order: a row's changes depend
                    // on each other, so the states of the batch in flight stay pending) and signed on all cores.
                    var inFlight: Batch?
                    while true {
                        let lines = try reader.next(count: batch)
                        if lines.isEmpty { break }
                        let statesBefore = ingest.pendingStates
                        var mapped: [DebeziumIngest.Mapped] = []
                        var oversized: [Int: Submission] = [:]
                        var skips: [Int: String] = [:]  // line position in the batch → reason
                        for (i, line) in lines.enumerated() {
                            if line.oversized != nil {
                                var s = ingest.ingestor.submission(line, name: name)
                                s.intake = ingest.intake
                                oversized[i] = s
                                continue
                            }
                            let m = try ingest.map(line.bytes, origin: "\(name):\(line.number)")
                            if case .skip(let reason) = m.outcome { skips[i] = reason } else { mapped.append(m) }
                        }
                        let signing = ingest.signing
                        var signed = parallelMap(mapped) { signing.submission($0)! }.makeIterator()
                        var submissions: [Submission] = []
                        for i in lines.indices where skips[i] == nil {
                            if let s = oversized[i] { submissions.append(s) } else if let s = signed.next() { submissions.append(s) }
                        }
                        let next = Batch(
                            name: name, lines: lines, skips: skips, submissions: submissions, pending: try ledger.startAppend(submissions),
                            states: ingest.pendingStates - statesBefore)
                        if let previous = inFlight { try finish(previous, &ingest, &summary) }
                        inFlight = next
                    }
                    if let last = inFlight { try finish(last, &ingest, &summary) }
                }
                summary.finish()
                if summary.rejected > 0 { throw SomeRejected(count: summary.rejected) }
            }
        }
    }
}
