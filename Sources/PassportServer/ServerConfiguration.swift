import Foundation
import PassportLedger
import Yams

/// Where and how `dpp serve` listens, from the command line or a `--config` file.
///
/// A config file is YAML (or JSON) with any of: `host`, `port`, `publicURL`,
/// `anonymousRequestsPerMinute`, `mappings` (name → mapping file, relative to the config file's
/// folder); the command line's options win over it.
public struct ServerConfiguration: Sendable, Equatable {
    /// Interface to listen on (default 127.0.0.1).
    public var host = "127.0.0.1"
    /// TCP port (default 8080).
    public var port = 8080
    /// The base of the URLs the server prints and puts in QR codes, links and linksets
    /// (default `http://localhost:<port>`), e.g. `https://id.example.com`.
    public var publicURL: String?
    /// Requests per minute one client address may make without a token (default 1,200); 0 turns
    /// the limit off.
    public var anonymousRequestsPerMinute = 1_200
    /// Connector mapping files by name, for `POST /ingest/debezium|csv?mapping=NAME`.
    public var mappings: [String: String] = [:]

    /// The defaults.
    public init() {}

    /// The base URL, without a trailing slash.
    public var baseURL: String {
        var s = publicURL ?? "http://localhost:\(port)"
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// Adds a named connector mapping file.
    /// - Throws: ``LedgerError`` if the name is malformed or the file cannot be read.
    public mutating func addMapping(name: String, file: String) throws {
        guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy({ c in
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
        }) else {
            throw LedgerError(.invalidArgument, "a mapping name is 1–64 of A–Z a–z 0–9 - _ ., got \"\(name)\"")
        }
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw LedgerError(.invalidArgument, "mapping \(name): cannot read \(file)")
        }
        mappings[name] = URL(fileURLWithPath: file).standardizedFileURL.path
    }

    /// Reads a config file over the defaults.
    /// - Throws: ``LedgerError`` naming the file, the key and what is wrong.
    public static func load(file: String) throws -> ServerConfiguration {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw LedgerError(.invalidArgument, "cannot read the config file \(file): \(error.localizedDescription)", underlying: error)
        }
        let loaded: Any?
        do { loaded = try Yams.load(yaml: text) } catch {
            throw LedgerError(.invalidArgument, "\(file) is not YAML or JSON: \(error)", underlying: error)
        }
        guard let map = loaded as? [String: Any] else { throw LedgerError(.invalidArgument, "\(file) must be a mapping of settings (host, port, publicURL, anonymousRequestsPerMinute)") }
        var c = ServerConfiguration()
        for (key, value) in map {
            func bad(_ rule: String) -> LedgerError { LedgerError(.invalidArgument, "\(file): \(key) \(rule), got \(value)") }
            switch key {
            case "host":
                guard let s = value as? String, !s.isEmpty else { throw bad("must be a host name or address") }
                c.host = s
            case "port":
                guard let n = value as? Int, (0...65535).contains(n) else { throw bad("must be a port number 0–65535") }
                c.port = n
            case "publicURL":
                guard let s = value as? String, let u = URL(string: s), ["http", "https"].contains(u.scheme ?? ""), u.host != nil else {
                    throw bad("must be an http(s) URL such as https://id.example.com")
                }
                c.publicURL = s
            case "anonymousRequestsPerMinute":
                guard let n = value as? Int, n >= 0 else { throw bad("must be a whole number ≥ 0") }
                c.anonymousRequestsPerMinute = n
            case "mappings":
                guard let m = value as? [String: Any] else { throw bad("must be a mapping of name → mapping file") }
                let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
                for (name, path) in m {
                    guard let p = path as? String else { throw bad("\(name) must name a file") }
                    try c.addMapping(name: name, file: p.hasPrefix("/") ? p : folder.appendingPathComponent(p).path)
                }
            default:
                throw LedgerError(.invalidArgument, "\(file): unknown setting \(key); known: host, port, publicURL, anonymousRequestsPerMinute, mappings")
            }
        }
        return c
    }
}
