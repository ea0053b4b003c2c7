import ArgumentParser
import Foundation
import PassportAudit
import PassportLedger
import PassportModel

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Recall trace: a batch or item down to its components and suppliers, a supplier up to every model, batch, item, shipment and market.",
        discussion: """
            The trace index finds the records a trace rests on (and, for a supplier's scope, its items and shipments); \
            PassportAudit.RecallTrace replays them (the same replay an auditor can run on every record). BoM effectivity and declaration validity are valid time; --as-of is what the \
            ledger knew then. --prove writes the records every edge rests on with inclusion proofs against one \
            checkpoint, for dpp audit verify.
            """,
        subcommands: [Down.self, Item.self, Supplier.self])

    struct Common: ParsableArguments {
        @OptionGroup var store: StoreOptions
        @Option(help: "System time: what the ledger knew then (RFC 3339 date-time, or a date; default now).", transform: Arg.timestamp)
        var asOf: Timestamp?
        @Option(help: "Folder to write the records and their proofs to (never overwrites).") var prove: String?

        /// Prints the trace down from a batch or an item, and writes its proofs when asked.
        func traceDown(_ subject: Subject) throws {
            let ledger = try store.open(readOnly: prove == nil)
            let (tree, records) = try ledger.traceDown(subject, asOf: asOf)
            print(PrettyJSON.string(.object(tree)))
            try writeProofs(ledger, records)
        }

        /// Writes each record and its tlog-proof bundle against the latest checkpoint.
        func writeProofs(_ ledger: Ledger, _ indexes: some Sequence<UInt64>) throws {
            guard let prove else { return }
            let dir = URL(fileURLWithPath: prove)
            let (size, records) = try writeRecordProofs(ledger, indexes, to: dir, option: "--prove folder")
            printError("wrote \(records.count) records with their proofs at tree size \(size) to \(dir.path) (dpp audit verify --vkey … --proof … --record …)")
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "batch", abstract: "A batch down to its components (multi-level), suppliers and their declarations at its production date.",
            discussion: exitCodes())
        @OptionGroup var common: Common
        @Argument(help: "01/<GTIN>/10/<lot>", transform: Arg.subject) var batch: Subject

        func run() throws {
            try guarded {
                guard batch.kind == .batch else { throw ValidationError("trace batch takes a batch, 01/<GTIN>/10/<lot>") }
                try common.traceDown(batch)
            }
        }
    }

    struct Item: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An item, through its batch, down to its components and suppliers.", discussion: exitCodes())
        @OptionGroup var common: Common
        @Argument(help: "01/<GTIN>/21/<serial>", transform: Arg.subject) var item: Subject

        func run() throws {
            try guarded {
                guard item.kind == .item else { throw ValidationError("trace item takes an item, 01/<GTIN>/21/<serial>") }
                try common.traceDown(item)
            }
        }
    }

    struct Supplier: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The recall scope of a supplier: models, batches, items, higher assemblies, shipments and totals per market.",
            discussion: exitCodes())
        @OptionGroup var common: Common
        @Argument(help: "supplier/<id>", transform: Arg.supplier) var supplier: String
        @Option(help: "Only BoM lines of this part.") var part: String?
        @Option(help: "A lot of the supplier's component (01/<GTIN>/10/<lot>): batches that consumed it.", transform: Arg.subject) var lot: Subject?
        @Option(help: "Production window start (RFC 3339 date-time, or a date).", transform: Arg.timestamp) var from: Timestamp?
        @Option(help: "Production window end, exclusive.", transform: Arg.timestamp) var to: Timestamp?
        @Option(help: "json or csv (shipments, one a line).") var format: TraceFormat = .json

        enum TraceFormat: String, ExpressibleByArgument { case json, csv }

        func run() throws {
            try guarded {
                let ledger = try common.store.open(readOnly: common.prove == nil)
                let (scope, records) = try ledger.traceUp(supplier: try Subject(supplier), part: part, lot: lot?.rawValue, from: from, to: to, asOf: common.asOf)
                if format == .json {
                    print(PrettyJSON.string(.object(scope)))
                } else {
                    print(RecallTrace.shipmentsCSV(scope, lineEnd: "\n"), terminator: "")
                }
                try common.writeProofs(ledger, records)
            }
        }
    }
}

/// Writes records with their tlog-proof bundles, all against the latest checkpoint, and the
/// ledger's vkey, into a new folder (`record-N.json`, `record-N.tlog-proof`, `ledger.vkey`), for
/// `dpp audit verify` or any RFC 9162 tool.
/// - Returns: the tree size of the proofs and the records written, in index order.
/// - Throws: ``LedgerError`` `already-exists` if the folder exists (nothing is overwritten).
func writeRecordProofs(_ ledger: Ledger, _ indexes: some Sequence<UInt64>, to dir: URL, option: String = "folder") throws
    -> (size: UInt64, records: [UInt64])
{
    if FileManager.default.fileExists(atPath: dir.path) {
        throw LedgerError(.alreadyExists, "\(dir.path) exists; nothing was written — choose a new \(option)")
    }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let size = try ledger.size()
    let records = indexes.sorted()
    for i in records {
        try writeNewFile(dir.appendingPathComponent("record-\(i).json").path, try ledger.recordBytes(i) + [0x0A])
        try writeNewFile(dir.appendingPathComponent("record-\(i).tlog-proof").path, Array(try ledger.proofBundle(index: i, size: size).text.utf8))
    }
    try writeNewFile(dir.appendingPathComponent("ledger.vkey").path, Array((ledger.vkey.description + "\n").utf8))
    return (size, records)
}
