import ArgumentParser
import Foundation
import PassportAudit
import PassportIngest
import PassportLedger
import PassportModel

/// Human-readable rendering of records.
enum RecordText {
    static func render(_ r: Record) -> String {
        let e = r.event
        var s = "#\(r.index)  \(r.recordedAt)  \(r.subject) seq \(r.seq)\n"
        s += "    \(e.type) from \(e.source) (\(e.sourceRef)), created \(e.createdAt)\n"
        if e.validFrom != nil || e.validUntil != nil {
            s += "    valid \(e.validFrom?.description ?? "…") → \(e.validUntil?.description ?? "…")\n"
        }
        s += "    signed by \(r.signature.key)\n"
        for a in e.attachments { s += "    attachment \(a.name) (\(a.mediaType)) sha256 \(a.sha256)\n" }
        for ref in e.refs { s += "    ref \(ref.rel) → \(ref.subject)\(ref.sourceRef.map { " (\($0))" } ?? "")\n" }
        s += "    data \(CanonicalJSON.string(.object(e.data)))\n"
        return s
    }
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a subject's records, oldest first.", discussion: exitCodes())
    @OptionGroup var store: StoreOptions
    @Argument(help: "The subject, e.g. 01/09506000134352.", transform: Arg.subject) var subject: Subject
    @Option(help: "text or json (one record's canonical JSON a line).") var format: OutputFormat = .text

    func run() throws {
        try guarded {
            let s = subject
            for r in try store.open(readOnly: true).history(s) {
                if format == .json { writeExact(r.canonicalBytes) } else { print(RecordText.render(r)) }
            }
        }
    }
}

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "record", abstract: "Show one record by its index.", discussion: exitCodes())
    @OptionGroup var store: StoreOptions
    @Argument(help: "The record's index.") var index: UInt64
    @Option(help: "text or json (the record's canonical bytes).") var format: OutputFormat = .text

    func run() throws {
        try guarded {
            let ledger = try store.open(readOnly: true)
            if format == .json {
                writeExact(try ledger.recordBytes(index))
            } else {
                print(RecordText.render(try ledger.record(index)), terminator: "")
            }
        }
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Offline record checks, who was allowed to write what, and the audit trail of a passport.",
        subcommands: [RecordProof.self, Governance.self, AuditTrail.self])

    struct Governance: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a whole exported log offline: every record was signed by a key in force and permitted to write what it wrote.",
            discussion: """
                Reads dpp export output (every record's canonical bytes, one a line) and the ledger's vkey; needs no store. \
                The system subject's own records say which keys were registered, revoked or restricted and which ownership \
                policy was in force; every record is judged by them as they stood at its index.

                """ + exitCodes("1 a record was not permitted (the first is named), "))
        @Option(help: "File with the ledger's vkey line.") var vkey: String
        @Argument(help: "The exported log (dpp export; - for stdin).") var export: String = "-"

        func run() throws {
            try guarded {
                let ledgerKey = try NoteVerifierKey(parsing: String(decoding: try readInput(vkey), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                var records: [Record] = []
                for (n, line) in try readInput(export).split(separator: 0x0A).enumerated() where !line.isEmpty {
                    do { records.append(try Record(bytes: Array(line), requireCanonical: true)) } catch {
                        throw LedgerError(.invalidArgument, "line \(n + 1) of \(export) is not a record: \(error)")
                    }
                }
                if let (index, problem) = GovernanceState.replay(records, ledgerKey: ledgerKey) {
                    throw LedgerError(.notPermitted, "record \(index) does not stand: \(problem.description)")
                }
                print("governance: \(records.count) records, each signed by a key in force and permitted to write what it wrote")
            }
        }
    }

    struct RecordProof: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify one record against a tlog-proof bundle and the ledger's vkey, with no store.", discussion: exitCodes("1 the record or its proof does not verify, "))
        @Option(help: "File with the ledger's vkey line.") var vkey: String
        @Option(help: "The tlog-proof bundle file (from dpp prove).") var proof: String
        @Option(help: "The record's canonical bytes (from dpp record --format json or dpp export).") var record: String
        @Option(help: "File with a source's vkey, to check the event's signature too (repeatable).")
        var sourceVkey: [String] = []

        func run() throws {
            try guarded {
                func text(_ p: String) throws -> String { String(decoding: try readInput(p), as: UTF8.self) }
                let ledgerKey = try NoteVerifierKey(parsing: try text(vkey).trimmingCharacters(in: .whitespacesAndNewlines))
                let sources = try sourceVkey.map { try NoteVerifierKey(parsing: try text($0).trimmingCharacters(in: .whitespacesAndNewlines)) }
                var bytes = try readInput(record)
                while bytes.last == 0x0A || bytes.last == 0x0D { bytes.removeLast() }
                let bundle = try ProofBundle(parsing: try text(proof))
                let v = try RecordAudit.verify(recordBytes: bytes, bundle: bundle, ledgerKey: ledgerKey, sourceKeys: sources)
                print("verified: record \(v.record.index) (\(v.record.subject) seq \(v.record.seq)) is in \(v.checkpoint.origin) at tree size \(v.checkpoint.size)"
                    + (v.eventSignatureChecked ? "; event signature by \(v.record.signature.key) valid" : ""))
            }
        }
    }
}

struct Blob: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attachments stored by SHA-256.", subcommands: [Get.self, Put.self])

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write an attachment's exact bytes to stdout or a file.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "The attachment's SHA-256 (hex).") var sha256: String
        @Option(name: .shortAndLong, help: "Write to this file instead of stdout.") var output: String?
        func run() throws {
            try guarded {
                let bytes = try store.open(readOnly: true).blob(sha256: sha256)
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
                        throw LedgerError(.io, "cannot write \(output)")
                    }
                } else {
                    FileHandle.standardOutput.write(Data(bytes))
                }
            }
        }
    }

    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a file as an attachment (for pre-signed events); print its SHA-256.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "The file.") var file: String
        func run() throws {
            try guarded {
                let ledger = try store.open()
                if file != "-" && RegularFile.isInside(ledger.directory, file) {
                    throw LedgerError(.invalidArgument, "\(file) is inside the store's folder; files of the store (its keys above all) are never stored as attachments")
                }
                print(try ledger.putBlob(try readInput(file)))
            }
        }
    }
}

struct QuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine", abstract: "Rejected input, kept until retried or discarded.",
        subcommands: [List.self, Show.self, Retry.self, Fix.self, Discard.self])

    static func summary(_ e: QuarantineEntry) -> String {
        let source = e.intake["source"]?.stringValue ?? (e.intake["signed"] == true ? "signed input" : "?")
        return "#\(e.id)  \(e.status.rawValue)  \(e.receivedAt)  \(Terminal.safe(source))  \(Terminal.safe(e.origin))  \(e.code): \(Terminal.safe(e.reasons.joined(separator: "; ")))"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open entries (--all for resolved and discarded too).", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Flag(help: "Include resolved and discarded entries.") var all = false
        @Option(help: "text or json.") var format: OutputFormat = .text
        func run() throws {
            try guarded {
                let entries = try store.open(readOnly: true).quarantineEntries(includeClosed: all)
                if entries.isEmpty && format == .text {
                    printError(all ? "the quarantine is empty: no input was ever rejected" : "no open quarantine entries: nothing waits for a fix (--all lists resolved and discarded ones)")
                }
                for e in entries {
                    print(format == .json ? CanonicalJSON.string(e.json) : QuarantineCommand.summary(e))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one entry with its raw input.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "Entry ID.") var id: UInt64
        @Option(help: "text or json.") var format: OutputFormat = .text
        func run() throws {
            try guarded {
                let e = try store.open(readOnly: true).quarantineEntry(id: id)
                if format == .json {
                    print(CanonicalJSON.string(e.json))
                    return
                }
                print(QuarantineCommand.summary(e))
                print("attempts: \(e.attempts), last \(e.updatedAt)")
                if let r = e.resolvedIndex { print("resolved as record \(r)") }
                if let d = e.discardReason { print("discarded: \(Terminal.safe(d))") }
                if let t = e.truncated {
                    print("raw input: the first \(e.raw.count) of \(t.length) bytes (SHA-256 \(Hex.encode(t.sha256))):")
                } else {
                    print("raw input:")
                }
                print(String(validating: e.raw, as: UTF8.self).map { Terminal.safe($0) } ?? "(not UTF-8; base64) " + Base64.encode(e.raw))
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run an entry (or, with --all, every open entry) through the full pipeline again.", discussion: exitCodes("3 the entry is still rejected, "))
        @OptionGroup var store: StoreOptions
        @Argument(help: "Entry ID.") var id: UInt64?
        @Flag(help: "Retry every open entry.") var all = false

        func validate() throws {
            if (id == nil) != all { throw ArgumentParser.ValidationError("give an entry ID or --all") }
        }

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let results = all ? try ledger.retryAllQuarantine() : [(id!, try ledger.retryQuarantine(id: id!))]
                var stillRejected = 0
                for (id, outcome) in results {
                    switch outcome {
                    case .appended(let r): print("#\(id) resolved: appended index=\(r.index) subject=\(r.subject) seq=\(r.seq)")
                    case .duplicate(let r): print("#\(id) resolved: already in the log as index=\(r.index)")
                    case .rejected(let e, _):
                        print("#\(id) still rejected \(e.code): \(Terminal.safe(e.message))")
                        stillRejected += 1
                    }
                }
                if all {
                    printError(results.isEmpty
                        ? "no open entries to retry (entries of oversized lines wait for a discard)"
                        : "retried \(results.count): \(results.count - stillRejected) resolved, \(stillRejected) still rejected")
                }
                if stillRejected > 0 { throw SomeRejected(count: stillRejected) }
            }
        }
    }

    struct Fix: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve an entry with a corrected line: it goes through the whole pipeline, and the correction is recorded in the log.",
            discussion: """
                FILE (or - for stdin) holds one line, read like the entry's input: unsigned (signed with the entry's source key, \
                attachment paths confined to FILE's folder or --attachments-dir) or pre-signed. If it is appended, the entry is \
                resolved with the record it became and a quarantine.corrected event records the correction; if it is rejected \
                too, it is kept as a new entry and the original stays open.

                """ + exitCodes("3 the correction was rejected too, "))
        @OptionGroup var store: StoreOptions
        @Argument(help: "Entry ID.") var id: UInt64
        @Argument(help: "The corrected line (a file, or - for stdin).") var file: String
        @Option(help: ArgumentHelp("The only folder attachment paths may name (default: FILE's folder; stdin: the current folder).", valueName: "DIR"))
        var attachmentsDir: String?

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let entry = try ledger.quarantineEntry(id: id)
                let name = file == "-" ? "stdin" : (file as NSString).lastPathComponent
                let lines = try JSONLinesReader(bytes: try readInput(file)).next(count: 2)
                guard lines.count == 1 else {
                    throw LedgerError(.invalidArgument, "\(name) must hold exactly one non-blank line (the corrected input), not \(lines.count)")
                }
                let mode: Ingestor.Mode
                switch Ingestor.Mode(intake: entry.intake) {
                case nil: throw LedgerError(.invalidArgument, "entry \(id) came from a connector this build cannot read again")
                case .signed?: mode = .signed
                case .unsigned(let source, _)?:
                    let base = attachmentsDir.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                        ?? (file == "-" ? nil : URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path)
                        ?? FileManager.default.currentDirectoryPath
                    mode = .unsigned(source: source, baseDirectory: base)
                }
                let submission = try Ingestor(ledger: ledger, mode: mode).submission(lines[0], name: "fix-of-\(id):\(name)")
                switch try ledger.correctQuarantine(id: id, with: submission) {
                case .resolved(let r, let audit):
                    print("#\(id) resolved: the correction is record \(r.index) (subject \(r.subject), seq \(r.seq)); recorded as quarantine.corrected, record \(audit)")
                case .rejected(let e, let q):
                    print("#\(id) still open: the correction was rejected \(e.code)\(q.map { " (kept as entry #\($0))" } ?? ""): \(Terminal.safe(e.message))")
                    throw SomeRejected(count: 1)
                }
            }
        }
    }

    struct Discard: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Discard an entry; the reason is recorded.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "Entry ID.") var id: UInt64
        @Option(help: "Why it is discarded.") var reason: String
        func run() throws {
            try guarded {
                let index = try store.open().discardQuarantine(id: id, reason: reason)
                print("#\(id) discarded; recorded as record \(index)")
            }
        }
    }
}
