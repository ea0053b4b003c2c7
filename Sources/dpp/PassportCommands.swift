import ArgumentParser
import Foundation
import PassportAudit
import PassportLedger
import PassportModel

struct PassportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passport", abstract: "Show a product passport, as it stood at any date, with the provenance of every value.",
        subcommands: [Show.self, Diff.self, HistoryOfPassport.self], defaultSubcommand: Show.self)

    struct QueryOptions: ParsableArguments {
        @Option(help: "System time: what the ledger knew then (RFC 3339 date-time, or a date; default now).", transform: Arg.timestamp)
        var asOf: Timestamp?
        @Option(help: "Valid time: facts holding in the world then (default: --as-of).", transform: Arg.timestamp) var validAt: Timestamp?
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "The passport of a model, batch, item, supplier or facility (the default subcommand).", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "Subject, e.g. 01/09506000134352/21/SN-1.", transform: Arg.subject) var id: Subject
        @OptionGroup var query: QueryOptions
        @Option(help: "Access tier: public, legitimate-interest or authority.") var view: AccessTier = .public
        @Option(help: "text or json.") var format: OutputFormat = .text
        @Option(help: """
            Write the record that set this field (e.g. identity.name, logistics.shipments[SHP-1]) and its tlog-proof bundle; \
            refused when the record also carries fields above --view.
            """)
        var prove: String?
        @Option(help: "Folder for --prove output (required with --prove; existing files are never overwritten).") var output: String?

        func validate() throws {
            if prove != nil && output == nil {
                throw ValidationError("--prove writes the record, its proof and the ledger's vkey: name the folder with --output DIR")
            }
        }

        func run() throws {
            try guarded {
                let tier = view
                let ledger = try store.open(readOnly: true)
                let full = try ledger.passport(id, asOf: query.asOf, validAt: query.validAt)
                let passport = full.view(tier, policy: try ledger.accessPolicy())
                if let field = prove {
                    try proveField(field, passport, ledger, policy: try ledger.accessPolicy())
                    return
                }
                if format == .json {
                    print(CanonicalJSON.string(passport.json))
                    return
                }
                for line in PassportText.lines(passport, tier: tier) { print(line) }
            }
        }

        func proveField(_ field: String, _ passport: Passport, _ ledger: Ledger, policy: AccessPolicy) throws {
            guard let entry = passport.entry(field) else {
                let known = passport.entries.map(\.path).joined(separator: ", ")
                throw LedgerError(.notFound, "no value \(field) in this view of the passport (visible: \(known))")
            }
            let index = entry.provenance.index
            let bytes = try ledger.recordBytes(index)
            // The proof travels with the whole record: refuse if the record carries more than this view shows.
            let hidden = policy.fields(of: try Record(bytes: bytes).event, above: view)
            if !hidden.isEmpty {
                let needed = hidden.map(\.tier).max()!
                throw LedgerError(
                    .notPermitted,
                    "record \(index), which set \(field), also carries \(hidden.map { "\($0.field) (\($0.tier.rawValue))" }.joined(separator: ", ")); its proof would disclose them to the \(view.rawValue) view — prove it with --view \(needed.rawValue)")
            }
            let bundle = try ledger.proofBundle(index: index)
            let verified = try RecordAudit.verify(recordBytes: bytes, bundle: bundle, ledgerKey: ledger.vkey)
            let dir = URL(fileURLWithPath: output ?? ".")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let recordFile = dir.appendingPathComponent("record-\(index).json")
            let proofFile = dir.appendingPathComponent("record-\(index).tlog-proof")
            let vkeyFile = dir.appendingPathComponent("ledger.vkey")
            let files = [(recordFile, bytes + [0x0A]), (proofFile, Array(bundle.text.utf8)), (vkeyFile, Array((ledger.vkey.description + "\n").utf8))]
            // Never overwrite: an existing ledger.vkey may be an auditor's pinned key.
            let existing = files.map(\.0.path).filter { FileManager.default.fileExists(atPath: $0) }
            if !existing.isEmpty {
                throw LedgerError(.alreadyExists, "\(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : ""); nothing was written — choose another --output folder")
            }
            for (url, content) in files { try writeNewFile(url.path, content) }
            print("\(field) = \(PassportText.describe(entry.field, entry.value))")
            print("set by record \(index) (\(entry.provenance.type) from \(entry.provenance.source), recorded \(entry.provenance.recordedAt)), included at tree size \(verified.checkpoint.size)")
            print("wrote \(recordFile.path), \(proofFile.path), \(vkeyFile.path)")
            print("verify offline: dpp audit verify --vkey \(vkeyFile.path) --proof \(proofFile.path) --record \(recordFile.path)")
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What changed in a passport between two dates, who wrote it, and when.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "Subject.", transform: Arg.subject) var id: Subject
        @Option(help: "Earlier system time (RFC 3339 date-time, or a date).", transform: Arg.timestamp) var from: Timestamp
        @Option(help: "Later system time (default: now).", transform: Arg.timestamp) var to: Timestamp?
        @Option(help: "Access tier of the view compared.") var view: AccessTier = .public
        @Option(help: "text or json.") var format: OutputFormat = .text

        func run() throws {
            try guarded {
                let tier = view
                let ledger = try store.open(readOnly: true)
                let policy = try ledger.accessPolicy()
                let b = try ledger.passport(id, asOf: to ?? Timestamp.now()).view(tier, policy: policy)
                // A subject that did not exist yet at --from had an empty passport then: everything is added.
                let a: Passport
                do {
                    a = try ledger.passport(id, asOf: from).view(tier, policy: policy)
                } catch let e as LedgerError where e.code == .notFound {
                    a = Passport(id: id, asOf: from, validAt: from, view: tier, entries: [])
                }
                for change in b.changes(since: a) {
                    let (old, new) = change.entries
                    let entry = (new ?? old)!
                    let kind = change.kind
                    if format == .json {
                        print(CanonicalJSON.string(.object(change.json)))
                    } else {
                        var line = "\(kind) \(entry.path)"
                        if let old { line += "\n    was \(PassportText.describe(old.field, old.value))" }
                        if let new {
                            line += "\n    now \(PassportText.describe(new.field, new.value))"
                            line += "\n    by \(new.provenance.source) (\(new.provenance.type) \(new.provenance.sourceRef)), record #\(new.provenance.index), recorded \(new.provenance.recordedAt)"
                        }
                        print(line)
                    }
                }
            }
        }
    }

    struct HistoryOfPassport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history", abstract: "Every write that shaped a passport: when, by whom, which fields.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "Subject.", transform: Arg.subject) var id: Subject
        @Option(help: "Access tier: public, legitimate-interest or authority; fields above it are not listed.") var view: AccessTier = .public
        @Option(help: "text or json.") var format: OutputFormat = .text

        func run() throws {
            try guarded {
                let ledger = try store.open(readOnly: true)
                for (record, facts) in try ledger.passportHistory(id, view: view, policy: try ledger.accessPolicy()) {
                    let fields = facts.map { f in f.key.map { "\(f.field)[\($0)]" } ?? f.field }
                    if format == .json {
                        print(CanonicalJSON.string(.object(record.historyJSON(facts: facts))))
                    } else {
                        print("#\(record.index)  \(record.recordedAt)  \(record.event.type) by \(record.event.source) (\(record.event.sourceRef)) on \(record.subject)")
                        print("    sets \(fields.joined(separator: ", "))")
                    }
                }
            }
        }
    }
}

struct Reindex: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rebuild the derived passport index from the records alone.", discussion: exitCodes())
    @OptionGroup var store: StoreOptions
    func run() throws {
        try guarded {
            let tty = isatty(2) == 1
            let n = try store.open().reindex { done, total in
                if tty { FileHandle.standardError.write(Data("\rreindexing: \(done)/\(total) records".utf8)) }
            }
            if tty { FileHandle.standardError.write(Data("\n".utf8)) }
            print("reindexed \(n) records")
        }
    }
}

struct Schemas: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the JSON Schemas of the passport and of every event type (as published in Specs/schemas).", discussion: exitCodes())
    @OptionGroup var store: StoreOptions  // accepted like every verb's, though schemas needs no store
    @Option(help: "Folder to write to (required; the project's own copy is Specs/schemas).") var output: String
    func run() throws {
        try guarded {
            let root = URL(fileURLWithPath: output)
            for (name, schema) in PassportSchema.documents {
                let url = root.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data((PrettyJSON.string(schema) + "\n").utf8).write(to: url)
                print(url.path)
            }
        }
    }
}
