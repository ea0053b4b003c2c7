import ArgumentParser
import Foundation
import PassportAudit
import PassportIngest
import PassportLedger
import PassportModel

struct Append: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append events from JSON Lines (FILE or stdin); print one result line per event.",
        discussion: """
            With --source NAME, each line is an unsigned event that dpp signs with NAME's key; timestamps may be \
            any RFC 3339 form, and an attachment may be given as {"path": "file.pdf"}, relative to FILE's folder (the \
            current folder for stdin) or to --attachments-dir; a path may not leave that folder (no absolute paths, \
            no '..', no symlink leading out), must name a regular file within the size limit, and never reads the store. \
            With --signed, each line is {"event": …, "signature": {"key": …, "sig": …}}, signed by the source itself; \
            its attachments must already be in the store (dpp blob put). Rejected lines are reported with their line \
            number and reason and kept in quarantine; the others are still appended. A summary (appended, duplicate, \
            rejected by reason) always ends on stderr.

            """ + exitCodes("3 some lines were rejected (each kept in quarantine), "))

    @OptionGroup var store: StoreOptions
    @Option(help: "Sign each event with this source's key.") var source: String?
    @Flag(help: "Lines are already signed by the source.") var signed = false
    @Option(help: "text or json.") var format: OutputFormat = .text
    @Option(help: "Events per write transaction.") var batch: Int = 4096
    @Option(help: ArgumentHelp("The only folder attachment paths may name (default: FILE's folder; stdin: the current folder).", valueName: "DIR"))
    var attachmentsDir: String?
    @Argument(help: "JSON Lines file (default: stdin).") var file: String?

    func validate() throws {
        if (source == nil) == !signed { throw ArgumentParser.ValidationError("give exactly one of --source NAME or --signed") }
        if batch < 1 { throw ArgumentParser.ValidationError("--batch must be at least 1") }
        if signed && attachmentsDir != nil {
            throw ArgumentParser.ValidationError("--attachments-dir is for unsigned input (--source); signed lines attach by hash (dpp blob put)")
        }
    }

    func run() throws {
        try guarded {
            let ledger = try store.open()
            let name = file.flatMap { $0 == "-" ? nil : ($0 as NSString).lastPathComponent } ?? "stdin"
            let base = attachmentsDir.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                ?? file.flatMap { $0 == "-" ? nil : URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().path }
                ?? FileManager.default.currentDirectoryPath
            let mode: Ingestor.Mode = signed ? .signed : .unsigned(source: source!, baseDirectory: base)
            let ingestor = try Ingestor(ledger: ledger, mode: mode)
            let handle: FileHandle
            if let file, file != "-" {
                guard let h = FileHandle(forReadingAtPath: file) else { throw LedgerError(.notFound, "cannot read \(file)") }
                handle = h
            } else {
                handle = FileHandle.standardInput
            }
            var summary = AppendSummary(name: name)
            let reader = JSONLinesReader(handle: handle)
            // Pipeline: while one batch is being committed, the next is parsed and signed.
            var inFlight: ([Submission], PendingAppend)?
            func finish(_ batch: ([Submission], PendingAppend)) throws {
                var out = ""
                for (s, o) in zip(batch.0, try batch.1.wait()) {
                    out += describeOutcome(s, o, format: format) + "\n"
                    summary.count(o)
                }
                writeOut(out)
                summary.showProgress()
            }
            while true {
                let lines = try reader.next(count: batch)
                if lines.isEmpty { break }
                let submissions = parallelMap(lines) { line in ingestor.submission(line, name: name) }
                let pending = try ledger.startAppend(submissions)
                if let previous = inFlight { try finish(previous) }
                inFlight = (submissions, pending)
            }
            if let last = inFlight { try finish(last) }
            summary.finish()
            if summary.rejected > 0 { throw SomeRejected(count: summary.rejected) }
        }
    }
}

/// What a bulk verb did, told on stderr: progress on a terminal while it runs, and always a
/// closing summary (appended, duplicates, rejected by reason), or that the input was empty.
struct AppendSummary {
    /// The input's name (a file name, or stdin).
    let name: String
    private(set) var appended = 0
    private(set) var duplicates = 0
    private(set) var rejected = 0
    private(set) var skipped = 0
    private var byCode: [String: Int] = [:]
    private let terminal = isatty(2) == 1
    private var progressShown = false

    /// Why there were no events, when there were none.
    private let emptyReason: String

    init(name: String, emptyReason: String = "the input is empty or only blank lines") {
        self.name = name
        self.emptyReason = emptyReason
    }

    mutating func count(_ o: AppendOutcome) {
        switch o {
        case .appended: appended += 1
        case .duplicate: duplicates += 1
        case .rejected(let e, _):
            rejected += 1
            byCode[e.code.rawValue, default: 0] += 1
        }
    }

    /// An input a connector maps to nothing (a replay, an unchanged row, a tombstone).
    mutating func skip() { skipped += 1 }

    var total: Int { appended + duplicates + rejected + skipped }

    /// On a terminal, after each batch of a large input: how far it got.
    mutating func showProgress() {
        guard terminal, total >= 10_000 else { return }
        FileHandle.standardError.write(Data("\r\(name): \(total) events…".utf8))
        progressShown = true
    }

    /// The closing line, always.
    func finish() {
        if progressShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        guard total > 0 else {
            printError("\(name): no events (\(emptyReason)); nothing was appended")
            return
        }
        var line = "\(name): \(appended) appended, \(duplicates) duplicate\(duplicates == 1 ? "" : "s") (nothing written)"
            + (skipped > 0 ? ", \(skipped) skipped (nothing to write)" : "") + ", \(rejected) rejected"
        if rejected > 0 {
            line += " (" + byCode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "; kept in quarantine: dpp quarantine list)"
        }
        FileHandle.standardError.write(Data((Terminal.safe(line) + "\n").utf8))
    }
}

/// One result line for an appended submission (text or JSON).
func describeOutcome(_ s: Submission, _ o: AppendOutcome, format: OutputFormat) -> String {
    describeOutcome(origin: s.origin, o, format: format)
}

/// One result line for the outcome of the input at `origin` (text or JSON).
func describeOutcome(origin: String, _ o: AppendOutcome, format: OutputFormat) -> String {
    if format == .json { return CanonicalJSON.string(.object(o.json(line: origin))) }
    switch o {
    case .appended(let r): return "\(origin) appended index=\(r.index) subject=\(r.subject) seq=\(r.seq)"
    case .duplicate(let r): return "\(origin) duplicate index=\(r.index) subject=\(r.subject) seq=\(r.seq)"
    case .rejected(let e, let q):
        return "\(Terminal.safe(origin)) rejected \(e.code)\(q.map { " quarantine=\($0)" } ?? ""): \(Terminal.safe(e.message))"
    }
}

/// One result line for input a connector maps to nothing (a tombstone, a replay, an unchanged row).
func describeSkip(origin: String, reason: String, format: OutputFormat) -> String {
    format == .json
        ? CanonicalJSON.string(["line": .string(origin), "result": "skipped", "reason": .string(reason)])
        : "\(Terminal.safe(origin)) skipped: \(Terminal.safe(reason))"
}

/// One result line for an EPCIS event the passport does not show, kept as `input.kept`.
func describeKept(origin: String, reason: String, format: OutputFormat) -> String {
    format == .json
        ? CanonicalJSON.string(["line": .string(origin), "result": "kept", "reason": .string(reason)])
        : "\(Terminal.safe(origin)) \(Terminal.safe(reason))"
}
