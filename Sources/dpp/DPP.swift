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
            PassportCommand.self, Reindex.self, Schemas.self, PolicyCommand.self,
            Demo.self,
        ])
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

/// A subject argument, or a usage error (exit 64) naming the rule it breaks.
func parseSubject(_ s: String) throws -> Subject {
    do { return try Subject(s) } catch { throw ArgumentParser.ValidationError("\(error)") }
}

func parseTimestamp(_ s: String?, _ name: String) throws -> Timestamp? {
    guard let s else { return nil }
    do { return try Timestamp(rfc3339: s) } catch {
        throw ArgumentParser.ValidationError("--\(name): \(error)")
    }
}
