import ArgumentParser
import Foundation
import PassportAudit
import PassportKafka
import PassportLedger
import PassportModel

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a store and its ledger key; print the ledger's vkey.", discussion: exitCodes())

    @OptionGroup var store: StoreOptions
    @Option(help: "The log's origin, e.g. example.com/passports (names the ledger key and heads every checkpoint).")
    var origin: String

    func run() throws {
        try guarded {
            let ledger = try Ledger.create(at: store.url, origin: origin, options: store.options)
            print(ledger.vkey.description)
        }
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage source keys (registered in the system subject).", subcommands: [Add.self, Revoke.self, Permit.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a source key (file 0600 in the store), register it, print its vkey.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "The source system's name, e.g. plm-windchill.") var name: String
        @Option(help: "The kind of system named by ownership policies (plm, erp, supplier, tms, wms, qa…); default: the name up to its first '-'.")
        var kind: String?
        @OptionGroup var permissions: PermissionOptions
        @Option(help: "The key is valid from this time (RFC 3339 date-time, or a date).", transform: Arg.timestamp) var validFrom: Timestamp?
        @Option(help: "The key is valid until this time.", transform: Arg.timestamp) var validUntil: Timestamp?

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let vkey = try ledger.addKey(
                    name: name, kind: kind, permissions: try permissions.permissions(),
                    validFrom: validFrom, validUntil: validUntil)
                print(vkey.description)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a source's key: later events signed with it are rejected, earlier ones stay valid.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "A source name (its active key) or a key reference name+id.") var key: String
        @Option(help: "Why the key is revoked (required; recorded in the ledger).") var reason: String

        func run() throws {
            try guarded {
                let ref = try store.open().revokeKey(key, reason: reason)
                print("revoked \(ref)")
            }
        }
    }

    struct Permit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change what a source's key may write (recorded as key.permissions-changed); what no option names is kept.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "A source name (its active key) or a key reference name+id.") var key: String
        @OptionGroup var permissions: PermissionOptions
        @Option(help: "Why the permissions change (recorded).") var reason: String

        func validate() throws {
            guard permissions.namesAny else {
                throw ValidationError("name what changes: --event-types, --fields, --subjects, --override or --no-override")
            }
        }

        func run() throws {
            try guarded {
                let ledger = try store.open()
                let p = try permissions.permissions(base: try ledger.key(key).permissions)
                let ref = try ledger.changePermissions(key, to: p, reason: reason)
                print("\(ref): \(p)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered keys.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Option(help: "text or json.") var format: OutputFormat = .text

        func run() throws {
            try guarded {
                for k in try store.open(readOnly: true).keys() {
                    if format == .json {
                        let o = k.json
                        print(CanonicalJSON.string(.object(o)))
                    } else {
                        let status = k.revokedIndex.map { "revoked at #\($0)" } ?? "active"
                        var line = "\(k.reference)  \(k.role)  registered at #\(k.registeredIndex)  \(status)"
                        if let f = k.validFrom { line += "  from \(f)" }
                        if let u = k.validUntil { line += "  until \(u)" }
                        if k.role == "source" { line += "  kind \(k.kind ?? "-")  may write \(k.permissions)" }
                        print(line)
                    }
                }
            }
        }
    }
}

/// `dpp positions`: where each source stream stands in the store.
struct Positions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Where each source stream stands: Kafka partitions (the last offset whose effect the store holds), Debezium rows (their state).",
        discussion: """
            A consumer resumes after these positions (Specs/connectors/kafka.md, debezium.md); compare a Kafka \
            partition's offset with its end offset for the lag. PREFIX narrows the list (kafka/, kafka/<topic>/, \
            debezium/). Text: one stream a line, `<stream>  offset <n>` or `<stream>  <state JSON>`; json: one object a \
            line, {"stream", "offset"} or {"stream", "state"} (or {"stream", "hex"} for a position of another kind).

            """ + exitCodes())
    @OptionGroup var store: StoreOptions
    @Option(help: "text or json.") var format: OutputFormat = .text
    @Argument(help: "Only streams whose name starts with this.") var prefix: String = ""

    func run() throws {
        try guarded {
            var out = ""
            for (stream, value) in try store.open(readOnly: true).sourcePositions(prefix: prefix) {
                var o: JSONObject = ["stream": .string(stream)]
                if stream.hasPrefix("kafka/"), let offset = KafkaPartition.decode(offset: value) {
                    o["offset"] = .number(JSONNumber(Int(offset)))
                } else if let state = try? JSONParser.parse(value) {
                    o["state"] = state
                } else {
                    o["hex"] = .string(Hex.encode(value))
                }
                if format == .json {
                    out += CanonicalJSON.string(.object(o)) + "\n"
                } else {
                    let shown = o["offset"].map { "offset \($0.numberValue!)" } ?? o["state"].map(CanonicalJSON.string) ?? "hex \(o["hex"]!.stringValue!)"
                    out += "\(Terminal.safe(stream))  \(Terminal.safe(shown))\n"
                }
            }
            writeOut(out)
        }
    }
}

struct VKey: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vkey", abstract: "Print the ledger's verifier key.", discussion: exitCodes())
    @OptionGroup var store: StoreOptions
    func run() throws {
        try guarded { print(try store.open(readOnly: true).vkey.description) }
    }
}

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "checkpoint", abstract: "Print the latest signed checkpoint, exactly.", discussion: exitCodes())
    @OptionGroup var store: StoreOptions
    func run() throws {
        try guarded { writeOut(try store.open(readOnly: true).latestCheckpoint()) }
    }
}

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the tlog-proof bundle of a record.", discussion: exitCodes())
    @OptionGroup var store: StoreOptions
    @Option(help: "The record's index.") var index: UInt64
    @Option(help: "Tree size to prove against (default: latest).") var size: UInt64?
    func run() throws {
        try guarded { writeOut(try store.open(readOnly: true).proofBundle(index: index, size: size).text) }
    }
}

struct ProveConsistency: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove-consistency", abstract: "Print the consistency proof between two tree sizes, one base64 hash a line.", discussion: exitCodes())
    @OptionGroup var store: StoreOptions
    @Option(help: "The older tree size.") var from: UInt64
    @Option(help: "The newer tree size (default: latest).") var to: UInt64?
    func run() throws {
        try guarded {
            for h in try store.open(readOnly: true).consistencyProof(from: from, to: to) { print(Base64.encode(h)) }
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print every record's canonical bytes, one a line, in index order.", discussion: exitCodes())
    @OptionGroup var store: StoreOptions
    func run() throws {
        try guarded {
            let out = FileHandle.standardOutput
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            try store.open(readOnly: true).forEachRecord { _, bytes in
                buffer.append(contentsOf: bytes)
                buffer.append(0x0A)
                if buffer.count >= 1 << 20 {
                    out.write(Data(buffer))
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            out.write(Data(buffer))
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the whole store; exit 0 only if intact, else name the first bad index and why.", discussion: exitCodes("1 the store is not intact (the first bad record is named), "))
    @OptionGroup var store: StoreOptions
    @Option(help: "A file holding the ledger vkey to trust (default: the store's own).") var vkey: String?
    @Option(help: "text or json.") var format: OutputFormat = .text

    func run() throws {
        try guarded {
            let ledger = try store.open(readOnly: true)
            let trusted = try vkey.map { try NoteVerifierKey(parsing: String(decoding: try readInput($0), as: UTF8.self)) }
            let tty = isatty(2) == 1
            let report = try ledger.verify(trustedKey: trusted) { done, total in
                if tty { FileHandle.standardError.write(Data("\rverifying: \(done)/\(total) records".utf8)) }
            }
            if tty { FileHandle.standardError.write(Data("\n".utf8)) }
            if format == .json {
                var o: JSONObject = [
                    "intact": .bool(report.isIntact), "records": .number(JSONNumber(Int(report.records))),
                    "checkpoints": .number(JSONNumber(report.checkpoints)), "attachments": .number(JSONNumber(report.attachments)),
                ]
                if let p = report.problem {
                    o["problem"] = .string(p.reason)
                    if let i = p.index { o["index"] = .number(JSONNumber(Int(i))) }
                }
                print(CanonicalJSON.string(.object(o)))
            } else if report.isIntact {
                print("intact: \(report.records) records, \(report.checkpoints) checkpoints, \(report.attachments) attachments verified")
            }
            if let p = report.problem {
                printError("NOT INTACT: \(p)")
                throw ExitCode.failure
            }
        }
    }
}
