import ArgumentParser
import Foundation
import Logging
import PassportLedger
import PassportModel
import PassportServer

/// Logs go to standard error, once per process.
let bootstrapLogging: Void = LoggingSystem.bootstrap(StreamLogHandler.standardError)

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the store over HTTP: passports, the GS1 Digital Link resolver, proofs, checkpoints and tiles (Specs/openapi.yaml).",
        discussion: """
            Runs until SIGINT (Ctrl-C) or SIGTERM, then finishes the requests in flight. Callers without a token get the \
            public view; tokens (dpp tokens add) carry a tier and may write as a source. \(exitCodes())
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: "Interface to listen on (default 127.0.0.1; 0.0.0.0 for every interface).") var host: String?
    @Option(help: "TCP port (default 8080).") var port: Int?
    @Option(help: "Base URL for links and QR codes, e.g. https://id.example.com (default http://localhost:PORT).") var publicURL: String?
    @Option(help: "A YAML or JSON file of settings: host, port, publicURL, anonymousRequestsPerMinute, mappings.") var config: String?
    @Option(help: ArgumentHelp("A connector mapping for POST /ingest/debezium|csv?mapping=NAME (repeatable).", valueName: "NAME=FILE"))
    var mapping: [String] = []

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0–65535, got \(port)") }
        if let publicURL, URL(string: publicURL).flatMap({ ["http", "https"].contains($0.scheme ?? "") && $0.host != nil ? $0 : nil }) == nil {
            throw ValidationError("--public-url must be an http(s) URL such as https://id.example.com, got \(publicURL)")
        }
    }

    func run() throws {
        try guarded {
            var c = try config.map { try ServerConfiguration.load(file: $0) } ?? ServerConfiguration()
            if let host { c.host = host }
            if let port { c.port = port }
            if let publicURL { c.publicURL = publicURL }
            for m in mapping {
                let parts = m.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw ValidationError("--mapping takes NAME=FILE, got \(m)") }
                try c.addMapping(name: String(parts[0]), file: String(parts[1]))
            }
            let ledger = try store.open()
            let server = PassportServer(ledger: ledger, tokens: try AccessTokens(store: ledger.directory), configuration: c)
            _ = bootstrapLogging
            let logger = Logger(label: "dpp.serve")
            print("serving \(ledger.directory.path) on http://\(c.host):\(c.port) (public URL \(c.baseURL)); Ctrl-C stops")
            print("  API:        \(c.baseURL)/openapi.json")
            print("  checkpoint: \(c.baseURL)/checkpoint")
            try runBlocking { try await server.run(logger: logger) }
        }
    }
}

/// Runs async work from a synchronous command and waits for it.
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    final class Outcome: @unchecked Sendable {  // written once by the task before the semaphore is signalled, read after
        var error: (any Error)?
    }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await body() } catch { outcome.error = error }
        done.signal()
    }
    done.wait()
    if let e = outcome.error { throw e }
}

struct Tokens: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bearer tokens of the HTTP API: who may read which tier, and write as which source.",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token; it is printed once, and only its SHA-256 is kept.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "A name for the token's holder (1–64 of A–Z a–z 0–9 . _ : -).") var name: String
        @Option(help: "Highest tier it may read: public, legitimate-interest or authority.") var tier: AccessTier
        @Option(help: "The source it may write as (a key of that name must be registered: dpp keys add).") var source: String?
        @Flag(help: "It may use the admin endpoints (keys, policy, quarantine).") var admin = false
        @Option(help: "text or json.") var format: OutputFormat = .text

        func run() throws {
            try guarded {
                let ledger = try store.open(readOnly: true)
                if let source, !(try ledger.keys().contains { $0.reference.hasPrefix(source + "+") && $0.revokedIndex == nil }) {
                    throw LedgerError(.notFound, "no active key named \(source) in this store; register it first with dpp keys add \(source) --kind KIND")
                }
                let (token, entry) = try AccessTokens(store: ledger.directory).add(name: name, tier: tier, source: source, admin: admin)
                if format == .json {
                    print(CanonicalJSON.string(["name": .string(entry.name), "tier": .string(entry.tier.rawValue), "token": .string(token)]))
                } else {
                    print(token)
                    printError("token \(name): tier \(tier.rawValue)\(source.map { ", writes as \($0)" } ?? "")\(admin ? ", admin" : ""); it is shown only now — keep it secret")
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tokens (names, tiers, sources; never the tokens themselves).", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Option(help: "text or json.") var format: OutputFormat = .text

        func run() throws {
            try guarded {
                let entries = try AccessTokens(store: store.url).entries()
                if entries.isEmpty && format == .text { printError("no tokens (dpp tokens add NAME --tier TIER makes one)") }
                for e in entries {
                    if format == .json {
                        var o: JSONObject = ["name": .string(e.name), "tier": .string(e.tier.rawValue), "admin": .bool(e.admin), "createdAt": .string(e.createdAt.description)]
                        if let s = e.source { o["source"] = .string(s) }
                        if let r = e.revokedAt { o["revokedAt"] = .string(r.description) }
                        print(CanonicalJSON.string(.object(o)))
                    } else {
                        print("\(e.name)  \(e.tier.rawValue)\(e.source.map { "  source=\($0)" } ?? "")\(e.admin ? "  admin" : "")  created \(e.createdAt)\(e.revokedAt.map { "  REVOKED \($0)" } ?? "")")
                    }
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; a running server stops accepting it within a second.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "The token's name.") var name: String

        func run() throws {
            try guarded {
                let e = try AccessTokens(store: store.url).revoke(name: name)
                print("revoked \(e.name) at \(e.revokedAt!)")
            }
        }
    }
}
