import ArgumentParser
import Foundation
import PassportIngest
import PassportLedger
import PassportModel

/// `dpp ingest CONNECTOR`: what source systems emit, mapped to signed passport events.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "Map what a source system emits to passport events, sign them with the source's key and append them.",
        subcommands: [Debezium.self, EPCIS.self, Kafka.self, BOM.self, CSV.self, Document.self, CMRT.self, IPC1752.self])

    struct EPCIS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "epcis",
            abstract: "GS1 EPCIS 2.0 documents (capture or query results) from WMS/TMS: shipments, custody, genealogy, items.",
            discussion: """
                Every EPCIS event of each document is mapped (Specs/connectors/epcis.md): shipping to shipment.dispatched, \
                receiving and changes of possession or location to custody.transferred, transformations to batch.transformed, \
                commissioning with a lot to item.registered. Every EPCIS event is kept whole in the log: as the attachment of \
                the events it yields, or of an input.kept event the ledger signs when the passport does not show it; one that \
                cannot be read is kept in quarantine. \
                sourceRef is the EPCIS eventID (with the event type and subject), so a re-sent document writes nothing. \
                --locations names GLNs' countries where the document's master data does not. One result line per passport \
                event or kept EPCIS event, a summary on stderr.

                """ + exitCodes("3 some EPCIS events were rejected (kept in quarantine), "))
        @OptionGroup var store: StoreOptions
        @Option(help: "The logistics source whose key signs the events (e.g. wms-manhattan).") var source: String
        @Option(help: ArgumentHelp("A JSON object of GLN → ISO 3166 country code, for destinations without master data.", valueName: "FILE"))
        var locations: String?
        @Option(help: "text or json.") var format: OutputFormat = .text
        @Argument(help: "EPCIS documents (- or none: stdin).") var files: [String] = []

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let ingest = try EPCISIngest(ledger: ledger, source: source, locationCountries: try readLocations(locations))
                var kept = 0
                let inputs = files.isEmpty ? ["-"] : files
                func name(_ file: String) -> String { file == "-" ? "stdin" : (file as NSString).lastPathComponent }
                var summary = AppendSummary(name: inputs.count == 1 ? name(inputs[0]) : "\(inputs.count) files")
                // Pipeline: while one slice of a document's events commits, the next is mapped and signed.
                var inFlight: [([Submission], PendingAppend)] = []
                func finish(_ b: ([Submission], PendingAppend)) throws {
                    var out = ""
                    for (s, o) in zip(b.0, try b.1.wait()) {
                        out += describeOutcome(s, o, format: format) + "\n"
                        summary.count(o)
                    }
                    writeOut(out)
                    summary.showProgress()
                }
                for file in inputs {
                    let bytes = try readWholeInput(file, ledger)
                    try ingest.slices(bytes, input: name(file)) { items, _ in
                        for item in items {
                            guard let reason = item.skipReason else { continue }
                            kept += 1
                            print(describeKept(origin: item.origin, reason: reason, format: format))
                        }
                        let submissions = items.flatMap(\.submissions)
                        inFlight.append((submissions, try ledger.startAppend(submissions)))
                        // Two slices queued behind the one committing: the writer takes both in one
                        // transaction when it falls behind (a large store's commits write more pages).
                        if inFlight.count > 2 { try finish(inFlight.removeFirst()) }
                    }
                }
                for b in inFlight { try finish(b) }
                summary.finish()
                if kept > 0 { printError("\(kept) EPCIS event(s) the passport does not show were kept (input.kept, signed by the ledger)") }
                if summary.rejected > 0 { throw SomeRejected(count: summary.rejected) }
            }
        }
    }

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
        struct InFlight {
            let batch: DebeziumIngest.Batch
            let pending: PendingAppend
        }

        /// Waits for a batch to be durable, prints its results in input order, and forgets its row states.
        func finish(_ b: InFlight, _ ingest: inout DebeziumIngest, _ summary: inout AppendSummary) throws {
            let outcomes = try b.pending.wait()
            var out = ""
            for entry in b.batch.entries {
                switch entry {
                case .skipped(let origin, let reason):
                    summary.skip()
                    out += describeSkip(origin: origin, reason: reason, format: format) + "\n"
                case .submitted(let i):
                    out += describeOutcome(b.batch.submissions[i], outcomes[i], format: format) + "\n"
                    summary.count(outcomes[i])
                }
            }
            ingest.batchAppended(states: b.batch.states)
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
                    // on each other, so the states of the batch in flight stay pending) and signed on all cores;
                    // it is handed to the writer once the one before is durable (as the Kafka consumer does).
                    var inFlight: InFlight?
                    while true {
                        let lines = try reader.next(count: batch)
                        if lines.isEmpty { break }
                        let mapped = try ingest.batch(lines.map { DebeziumIngest.Input($0, name: name) })
                        // The previous batch must be durable before this one goes to the writer: were it
                        // to fail alone and this one to commit, this batch's row states would make the
                        // failed changes of the same rows look like replays when the input is run again.
                        if let previous = inFlight { try finish(previous, &ingest, &summary) }
                        inFlight = InFlight(batch: mapped, pending: try ledger.startAppend(mapped.submissions))
                    }
                    if let last = inFlight { try finish(last, &ingest, &summary) }
                }
                summary.finish()
                if summary.rejected > 0 { throw SomeRejected(count: summary.rejected) }
            }
        }
    }

    struct BOM: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bom",
            abstract: "PLM bill-of-materials exports (JSON or CSV) at a release milestone: one bom.released event per assembly revision.",
            discussion: """
                Each file is a BoM export (Specs/connectors/bom.md): one or more assemblies, each with its revision, lifecycle \
                state, effectivity date and lines (a line may name a sub-assembly's 01/<GTIN> as component). Only released \
                BoMs are accepted; a draft, in-work or incomplete one is rejected naming the field and kept in quarantine. \
                The export file is stored as each event's attachment. sourceRef is <GTIN>/<revision>: the same export again \
                writes nothing, and a changed export under a released revision is an idempotency conflict. A new revision \
                supersedes the old one from its effectivity date. One result line per assembly, a summary on stderr.

                """ + exitCodes("3 some assemblies were rejected (kept in quarantine), "))
        @OptionGroup var store: StoreOptions
        @Option(help: "The PLM source whose key signs the events (e.g. plm-teamcenter).") var source: String
        @Option(name: .customLong("bom-format"), help: "json or csv (default: from the file name; .csv is CSV).") var bomFormat: BOMExport.Format?
        @Option(help: "text or json.") var format: OutputFormat = .text
        @Argument(help: "BoM export files (- or none: stdin).") var files: [String] = []

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let ingest = try BOMIngest(ledger: ledger, source: source)
                try ingestFiles(ledger, files, allowStdin: true, format: format) { bytes, name in
                    ingest.submissions(bytes, format: bomFormat ?? BOMExport.Format.guess(name), fileName: name)
                }
            }
        }
    }

    struct CSV: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csv",
            abstract: "Supplier attestations (recycled content, sustainability…) as CSV, mapped by a YAML column mapping: one declaration.recorded per row.",
            discussion: """
                Each row of each file becomes a declaration of a supplier (Specs/connectors/csv.md): the mapping names the \
                columns of kind, scope, validity and recycled content; the supplier comes from a column or --supplier. A bad \
                row is rejected naming its line and column and kept in quarantine while the other rows are appended; dpp \
                quarantine retry maps it again with the mapping file as it is then. One result line per row, a summary on stderr.

                """ + exitCodes("3 some rows were rejected (kept in quarantine), "))
        @OptionGroup var store: StoreOptions
        @Option(help: "The supplier source whose key signs the events (e.g. supplier-portal).") var source: String
        @Option(help: "The column mapping (YAML).") var mapping: String
        @Option(help: "The supplier of every row, supplier/<id>, when the mapping has no supplier column.", transform: Arg.supplier) var supplier: String?
        @Option(help: "text or json.") var format: OutputFormat = .text
        @Argument(help: "CSV files (- or none: stdin).") var files: [String] = []

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let ingest = try AttestationIngest(ledger: ledger, source: source, mappingFile: mapping, supplier: supplier)
                try ingestFiles(ledger, files, allowStdin: true, format: format) { bytes, name in ingest.submissions(bytes, fileName: name) }
            }
        }
    }

    struct Document: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "document",
            abstract: "Certificates and test reports (a PDF or any file) with their metadata: certification.recorded or test-report.recorded.",
            discussion: """
                Each file is stored as the event's attachment and its SHA-256 is the event's documentSha256 (certification) \
                or reportSha256 (test report). The metadata comes from a JSON sidecar beside the file (cert.pdf.json: type, \
                subject, id, issuer, scheme, validFrom, validUntil, issuedAt; or standard, result, laboratory) and from the \
                options, which win (Specs/connectors/csv.md, Documents). A document that cannot be recorded is kept in quarantine \
                by its path; dpp quarantine retry reads the file and its sidecar again.

                """ + exitCodes("3 some documents were rejected (kept in quarantine), "))
        @OptionGroup var store: StoreOptions
        @Option(help: "The source whose key signs the events (e.g. qa-lab).") var source: String
        @Option(help: "The product model or batch the documents are about.", transform: Arg.subject) var subject: Subject?
        @Option(help: "certification or test-report (default: the sidecar's type, else guessed from its members).") var type: DocumentIngest.Kind?
        @Option(help: "The certificate or report number.") var id: String?
        @Option(help: "Certification: who issued it.") var issuer: String?
        @Option(help: "Certification: the scheme (UN 38.3, ISO 14001…).") var scheme: String?
        @Option(help: "Test report: the standard (IEC 62619…).") var standard: String?
        @Option(help: "Test report: pass or fail.") var result: String?
        @Option(help: "Test report: the laboratory.") var laboratory: String?
        @Option(help: "Valid from (RFC 3339 or a date).", transform: Arg.timestamp) var validFrom: Timestamp?
        @Option(help: "Valid until (RFC 3339 or a date).", transform: Arg.timestamp) var validUntil: Timestamp?
        @Option(help: "When it was issued (default: valid from).", transform: Arg.timestamp) var issued: Timestamp?
        @Option(help: "text or json.") var format: OutputFormat = .text
        @Argument(help: "Document files.") var files: [String]

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let ingest = try DocumentIngest(ledger: ledger, source: source)
                var options: [String: JSONValue] = [:]
                let given: [(String, String?)] = [
                    ("subject", subject?.rawValue), ("type", type?.rawValue), ("id", id), ("issuer", issuer), ("scheme", scheme),
                    ("standard", standard), ("result", result), ("laboratory", laboratory), ("validFrom", validFrom?.description),
                    ("validUntil", validUntil?.description), ("issuedAt", issued?.description),
                ]
                for (k, v) in given { if let v { options[k] = .string(v) } }
                var summary = AppendSummary(name: files.count == 1 ? (files[0] as NSString).lastPathComponent : "\(files.count) files")
                let submissions = files.map { ingest.submission(path: $0, options: options) }
                var out = ""
                for (s, o) in zip(submissions, try ledger.appendSync(submissions)) {
                    out += describeOutcome(s, o, format: format) + "\n"
                    summary.count(o)
                }
                writeOut(out)
                summary.finish()
                if summary.rejected > 0 { throw SomeRejected(count: summary.rejected) }
            }
        }
    }

    struct CMRT: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cmrt",
            abstract: "RMI Conflict Minerals Reporting Templates (CMRT 6.x, .xlsx): one declaration.recorded (conflict-minerals) per workbook.",
            discussion: """
                Each workbook's Declaration and Smelter List sheets are read by cell position (Specs/connectors/cmrt.md): the \
                company, the declaration scope, the answers per metal and the date of completion (validFrom; validUntil a year \
                later). The workbook is stored as the event's attachment. The supplier is --supplier, or the workbook's company \
                unique ID looked up in --suppliers (a JSON object of company ID → supplier/<id>). A workbook that is not a CMRT, \
                of a revision this build does not know, or incomplete, is rejected with the reason and kept in quarantine by its \
                path; dpp quarantine retry reads the file again. One result line per workbook, a summary on stderr.

                """ + exitCodes("3 some workbooks were rejected (kept in quarantine), "))
        @OptionGroup var store: StoreOptions
        @Option(help: "The source whose key signs the events (e.g. supplier-portal).") var source: String
        @Option(help: "The supplier of every workbook, supplier/<id>.", transform: Arg.supplier) var supplier: String?
        @Option(help: ArgumentHelp("A JSON object of company unique ID → supplier/<id>.", valueName: "FILE")) var suppliers: String?
        @Option(help: "Valid from (default: the date of completion).", transform: Arg.timestamp) var validFrom: Timestamp?
        @Option(help: "Valid until (default: a year after valid from).", transform: Arg.timestamp) var validUntil: Timestamp?
        @Option(help: "text or json.") var format: OutputFormat = .text
        @Argument(help: "CMRT workbooks (.xlsx).") var files: [String]

        func validate() throws {
            if supplier == nil && suppliers == nil { throw ValidationError("name the supplier: --supplier supplier/<id> or --suppliers FILE") }
        }

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let ingest = try CMRTIngest(ledger: ledger, source: source)
                var options: [String: String] = [:]
                if let supplier { options["supplier"] = supplier }
                if let suppliers { options["suppliers"] = URL(fileURLWithPath: suppliers).standardizedFileURL.path }
                if let validFrom { options["validFrom"] = validFrom.description }
                if let validUntil { options["validUntil"] = validUntil.description }
                try appendFiles(ledger, files, format: format) { [ingest.submission(path: $0, options: options)] }
            }
        }
    }

    struct IPC1752: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ipc1752",
            abstract: "IPC-1752A material declarations (class C or D, XML): composition.declared for the product, declaration.recorded (substances) for the supplier.",
            discussion: """
                Each document's homogeneous materials and substances (Specs/connectors/ipc1752.md) become the product's \
                composition (material masses and shares; substances of the declarable substance lists with CAS number and \
                concentration) and, when the supplier is known (--supplier, else the document's company unique ID), a \
                substances declaration. The document is stored as both events' attachment. A document with a DTD, of another \
                class or version, or with a structural problem is rejected naming its XML path and kept in quarantine by its \
                path; dpp quarantine retry reads the file again. One result line per event, a summary on stderr.

                """ + exitCodes("3 some events were rejected (kept in quarantine), "))
        @OptionGroup var store: StoreOptions
        @Option(help: "The source whose key signs the events (e.g. supplier-portal).") var source: String
        @Option(help: "The product model, 01/<GTIN>.", transform: Arg.subject) var subject: Subject?
        @Option(help: ArgumentHelp("A JSON object of the document's item number → 01/<GTIN>, instead of --subject.", valueName: "FILE")) var items: String?
        @Option(help: "The supplier, supplier/<id> (default: the document's company unique ID).", transform: Arg.supplier) var supplier: String?
        @Option(help: "Valid from, when the document has no response date.", transform: Arg.timestamp) var validFrom: Timestamp?
        @Option(help: "text or json.") var format: OutputFormat = .text
        @Argument(help: "IPC-1752A XML documents.") var files: [String]

        func validate() throws {
            if subject == nil && items == nil { throw ValidationError("name the product: --subject 01/<GTIN> or --items FILE") }
        }

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let ingest = try IPC1752Ingest(ledger: ledger, source: source)
                var options: [String: String] = [:]
                if let subject { options["subject"] = subject.rawValue }
                if let items { options["items"] = URL(fileURLWithPath: items).standardizedFileURL.path }
                if let supplier { options["supplier"] = supplier }
                if let validFrom { options["validFrom"] = validFrom.description }
                try appendFiles(ledger, files, format: format) { ingest.submissions(path: $0, options: options) }
            }
        }
    }
}

/// The `--locations` file of the EPCIS connectors: a JSON object of GLN → ISO 3166 country code (none: empty).
func readLocations(_ locations: String?) throws -> [String: String] {
    guard let locations else { return [:] }
    guard let o = try JSONParser.parse(try readInput(locations)).objectValue else {
        throw LedgerError(.invalidArgument, "\(locations) must be a JSON object of GLN → country code")
    }
    var countries: [String: String] = [:]
    for (gln, c) in o {
        guard let country = c.stringValue else { throw LedgerError(.invalidArgument, "\(locations): \(gln) must map to a country code") }
        countries[gln] = country
    }
    return countries
}

extension BOMExport.Format: ExpressibleByArgument {}
extension DocumentIngest.Kind: ExpressibleByArgument {}

extension Arg {
    /// A supplier subject, `supplier/<id>`.
    static func supplier(_ text: String) throws -> String {
        guard let s = try? Subject(text), s.kind == .supplier else {
            throw ValidationError("\(text) is not a supplier: write supplier/<id>, <id> being 1–64 of A–Z a–z 0–9 . _ : -")
        }
        return s.rawValue
    }
}

/// Reads whole files (or stdin), turns each into submissions with `make`, appends them, and
/// prints one result line per submission and a summary; throws ``SomeRejected`` if any was rejected.
/// A whole input file (`-`: standard input), a regular file no larger than the attachment limit.
func readWholeInput(_ file: String, _ ledger: Ledger) throws -> [UInt8] {
    if file == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
    switch RegularFile.read(file, maxSize: ledger.options.maxAttachmentSize) {
    case .success(let b): return b
    case .failure(let e): throw LedgerError(.notFound, "cannot read \(file): \(e.rule)")
    }
}

func ingestFiles(_ ledger: Ledger, _ files: [String], allowStdin: Bool, format: OutputFormat, _ make: ([UInt8], String) throws -> [Submission]) throws {
    let inputs = files.isEmpty ? ["-"] : files
    func name(_ file: String) -> String { file == "-" ? "stdin" : (file as NSString).lastPathComponent }
    var summary = AppendSummary(name: inputs.count == 1 ? name(inputs[0]) : "\(inputs.count) files")
    for file in inputs {
        let submissions = try make(try readWholeInput(file, ledger), name(file))
        var out = ""
        for (s, o) in zip(submissions, try ledger.appendSync(submissions)) {
            out += describeOutcome(s, o, format: format) + "\n"
            summary.count(o)
        }
        writeOut(out)
        summary.showProgress()
    }
    summary.finish()
    if summary.rejected > 0 { throw SomeRejected(count: summary.rejected) }
}

/// Appends the submissions of files read by path (their connector reads each file, so that
/// quarantine keeps the path), printing one result line per submission and a summary; throws
/// ``SomeRejected`` if any was rejected.
func appendFiles(_ ledger: Ledger, _ files: [String], format: OutputFormat, _ make: (String) -> [Submission]) throws {
    var summary = AppendSummary(name: files.count == 1 ? (files[0] as NSString).lastPathComponent : "\(files.count) files")
    for file in files {
        let submissions = make(file)
        var out = ""
        for (s, o) in zip(submissions, try ledger.appendSync(submissions)) {
            out += describeOutcome(s, o, format: format) + "\n"
            summary.count(o)
        }
        writeOut(out)
        summary.showProgress()
    }
    summary.finish()
    if summary.rejected > 0 { throw SomeRejected(count: summary.rejected) }
}
