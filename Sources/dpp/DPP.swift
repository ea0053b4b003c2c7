import ArgumentParser
import Foundation
import PassportAudit
import PassportLedger
import PassportModel

@main
struct DPP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpp",
        abstract: "Passport Ledger: a signed, append-only store for EU Digital Product Passports.",
        discussion: """
            A store is a folder (--store, default ./dpp-store or $DPP_STORE). Exit codes: 0 success, \
            1 error, 3 some input was rejected (and kept in quarantine), 64 bad arguments.
            """,
        subcommands: [
            Init.self, Keys.self, Append.self, History.self, RecordCommand.self, VKey.self, CheckpointCommand.self,
            Prove.self, ProveConsistency.self, Export.self, Verify.self, Audit.self, Blob.self, QuarantineCommand.self,
            PassportCommand.self, Reindex.self, Schemas.self, PolicyCommand.self, Types.self, IngestCommand.self,
            Serve.self, Tokens.self, TraceCommand.self, Positions.self, Demo.self,
        ])

    /// Runs dpp; an unknown command (with or without --help) is a usage error, not the root help.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let unknown = UnknownCommand.find(in: arguments, root: DPP.self) {
            printError("unknown command '\(unknown.word)' for '\(unknown.group)'; the commands are: \(unknown.known.joined(separator: ", ")) (see \(unknown.group) --help)")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        DPP.main(arguments)
    }
}

/// The exit codes of a verb, for its help (`extra` names the verb's own, e.g. "3 some input was rejected, ").
func exitCodes(_ extra: String = "") -> String {
    "Exit codes: 0 success, \(extra)1 error (a message on stderr), 64 bad arguments (with the verb's usage)."
}

/// `--store` and storage limits, shared by every verb.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store folder (default: $DPP_STORE or ./dpp-store).")
    var store: String?

    @Option(name: .long, help: "Largest size the store's map may grow to, in MiB.")
    var maxMapSize: Int?

    var url: URL {
        URL(fileURLWithPath: store ?? ProcessInfo.processInfo.environment["DPP_STORE"] ?? "dpp-store")
    }

    var options: Ledger.Options {
        var o = Ledger.Options()
        if let m = maxMapSize {
            o.maxMapSize = m << 20
            o.initialMapSize = min(o.initialMapSize, o.maxMapSize)
        }
        return o
    }

    func open(readOnly: Bool = false) throws -> Ledger {
        try Ledger.open(at: url, options: options, readOnly: readOnly)
    }
}

/// Output format for verbs that print data.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Exit with code 3: some input was rejected (and kept in quarantine).
struct SomeRejected: Error, CustomStringConvertible {
    let count: Int
    var description: String { "\(count) event(s) rejected; see dpp quarantine list" }
}

extension ParsableCommand {
    /// Runs `body`, turning library errors into a message on stderr and a non-zero exit.
    func guarded(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as SomeRejected {
            printError(e.description)
            throw ExitCode(3)
        } catch let e as ExitCode {
            throw e
        } catch let e as CleanExit {
            throw e
        } catch let e as ArgumentParser.ValidationError {
            throw e
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}


/// The bytes of a file argument (`-` or nil: standard input), read to end of file, so that pipes,
/// FIFOs and process substitutions (`--record <(dpp record 3 --format json)`) work like files.
func readInput(_ path: String?) throws -> [UInt8] {
    guard let path, path != "-" else { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        let exists = FileManager.default.fileExists(atPath: path)
        throw LedgerError(exists ? .io : .notFound, "cannot read \(path): \(exists ? "it cannot be opened (check its permissions)" : "no such file")")
    }
    defer { try? handle.close() }
    do {
        return [UInt8](try handle.readToEnd() ?? Data())
    } catch {
        throw LedgerError(.io, "cannot read \(path): \(error.localizedDescription)")
    }
}

/// Argument types: a bad value is answered with the verb's usage and exit 64, naming the rule.
enum Arg {
    /// A subject (`01/<GTIN>…`, `supplier/<id>`, `facility/<id>`), in canonical GS1 Digital Link form.
    static func subject(_ text: String) throws -> Subject {
        do { return try Subject(text) } catch { throw ValidationError("\(error)") }
    }

    /// The forms a timestamp argument accepts.
    static let timestampForms = Timestamp.queryForms

    /// A timestamp: any RFC 3339 date-time, or a date meaning its midnight UTC.
    static func timestamp(_ text: String) throws -> Timestamp {
        do { return try Timestamp(dateOrDateTime: text) } catch {
            throw ValidationError("\(error.reason); accepted: \(timestampForms)")
        }
    }
}

/// A word in command position that names no command of its group.
struct UnknownCommand {
    /// The word.
    let word: String
    /// The command group it was given to, e.g. `dpp keys`.
    let group: String
    /// The group's commands.
    let known: [String]

    /// The first word naming no command of its group (a group with a default command takes any word).
    static func find(in arguments: [String], root: ParsableCommand.Type) -> UnknownCommand? {
        var command = root
        var path = [root._commandName]
        for word in arguments {
            let subcommands = command.configuration.subcommands
            if word.hasPrefix("-") || subcommands.isEmpty || (word == "help" && path.count == 1) { return nil }
            if let match = subcommands.first(where: { $0._commandName == word }) {
                command = match
                path.append(word)
                continue
            }
            if command.configuration.defaultSubcommand != nil { return nil }
            return UnknownCommand(word: word, group: path.joined(separator: " "), known: subcommands.map { $0._commandName })
        }
        return nil
    }
}
