import Foundation
import PassportLedger
import PassportModel
import Sodium

/// The bearer tokens of a store's HTTP API (`dpp tokens add|list|revoke`).
///
/// A token is shown once, when it is made; the store keeps only its SHA-256 (in
/// `<store>/access-tokens.jsonl`, mode 0600, one JSON object a line), so a copy of the store does
/// not let anyone in. A token carries the highest tier its holder may read, optionally the one
/// source it may write as, and whether it may use the admin endpoints. Lookups compare hashes in
/// constant time. The file is read again when it changes, so a revocation takes effect in a
/// running server within a second.
public final class AccessTokens: Sendable {
    /// One token, as stored (without the token itself).
    public struct Entry: Sendable, Hashable {
        /// A name for people (`recycler-acme`), unique in the store.
        public let name: String
        /// The highest tier this token may read.
        public let tier: AccessTier
        /// The source this token may write as, if any.
        public let source: String?
        /// Whether it may use the admin endpoints (keys, policy, quarantine).
        public let admin: Bool
        /// When it was made.
        public let createdAt: Timestamp
        /// When it was revoked, if it was.
        public let revokedAt: Timestamp?
        /// Lowercase hex SHA-256 of the token.
        let sha256: String

        var json: JSONObject {
            var o: JSONObject = ["name": .string(name), "tier": .string(tier.rawValue), "admin": .bool(admin),
                "createdAt": .string(createdAt.description), "sha256": .string(sha256)]
            if let source { o["source"] = .string(source) }
            if let revokedAt { o["revokedAt"] = .string(revokedAt.description) }
            return o
        }

        init(name: String, tier: AccessTier, source: String?, admin: Bool, createdAt: Timestamp, revokedAt: Timestamp?, sha256: String) {
            self.name = name
            self.tier = tier
            self.source = source
            self.admin = admin
            self.createdAt = createdAt
            self.revokedAt = revokedAt
            self.sha256 = sha256
        }

        init(json: JSONValue, line: Int) throws {
            func bad(_ what: String) -> LedgerError {
                LedgerError(.notAStore, "access-tokens.jsonl line \(line): \(what); fix or remove the line (tokens are made with dpp tokens add)")
            }
            guard let o = json.objectValue, let name = o["name"]?.stringValue, let tierText = o["tier"]?.stringValue,
                let tier = AccessTier(rawValue: tierText), let created = o["createdAt"]?.stringValue,
                let createdAt = try? Timestamp(rfc3339: created), let hash = o["sha256"]?.stringValue, hash.utf8.count == 64
            else { throw bad("expected {name, tier, createdAt, sha256, source?, admin?, revokedAt?}") }
            var revokedAt: Timestamp?
            if let r = o["revokedAt"]?.stringValue {
                guard let t = try? Timestamp(rfc3339: r) else { throw bad("revokedAt is not an RFC 3339 date-time") }
                revokedAt = t
            }
            self.init(name: name, tier: tier, source: o["source"]?.stringValue, admin: o["admin"] == .bool(true),
                createdAt: createdAt, revokedAt: revokedAt, sha256: hash)
        }
    }

    /// The file the tokens live in.
    public let url: URL
    private let file: ReloadingFile<[Entry]>

    /// The token file of a store (`<store>/access-tokens.jsonl`); a store without one has no tokens.
    /// - Throws: ``LedgerError`` if the file exists but cannot be read.
    public init(store: URL) throws {
        let url = store.appendingPathComponent("access-tokens.jsonl")
        self.url = url
        file = ReloadingFile(url) { try AccessTokens.load(url) }
        _ = try entries()
    }

    /// Every token, revoked ones included, in the order they were made.
    /// - Throws: ``LedgerError`` if the file is damaged.
    public func entries() throws -> [Entry] { try file.current() }

    private static func load(_ url: URL) throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LedgerError(.io, "cannot read \(url.path): \(error.localizedDescription)", underlying: error)
        }
        var out: [Entry] = []
        for (i, line) in data.split(separator: 0x0A).enumerated() where !line.isEmpty {
            let json: JSONValue
            do { json = try JSONParser.parse(Array(line)) } catch {
                throw LedgerError(.notAStore, "access-tokens.jsonl line \(i + 1) is not JSON: \(error.description)")
            }
            out.append(try Entry(json: json, line: i + 1))
        }
        return out
    }

    /// The token a bearer credential names, if it is known and not revoked.
    public func authenticate(_ token: String) throws -> Entry? {
        let hash = SHA256.hash(Array(token.utf8))
        var found: Entry?
        // Every entry is compared, in constant time each, whatever matches.
        for e in try entries() {
            guard let stored = Hex.decode(e.sha256) else { continue }
            if Sodium.constantTimeEqual(stored, hash), e.revokedAt == nil { found = e }
        }
        return found
    }

    /// Makes a token and stores its hash.
    /// - Parameters:
    ///   - name: a unique name, 1–64 of `A–Z a–z 0–9 . _ : -`.
    ///   - tier: the highest tier it may read.
    ///   - source: the source it may write as (it must have a key in the ledger).
    ///   - admin: whether it may use the admin endpoints.
    /// - Returns: the token (shown once) and its entry.
    /// - Throws: ``LedgerError`` if the name is taken or malformed.
    public func add(name: String, tier: AccessTier, source: String?, admin: Bool, at now: Timestamp = .now()) throws -> (token: String, entry: Entry) {
        guard (try? Subject("supplier/\(name)")) != nil else {
            throw LedgerError(.invalidArgument, "a token name is 1–64 characters of A–Z a–z 0–9 . _ : -, got \"\(name)\"")
        }
        let existing = try Self.load(url)
        if existing.contains(where: { $0.name == name }) {
            throw LedgerError(.alreadyExists, "a token named \(name) already exists; choose another name, or revoke it and add one under a new name")
        }
        var secret = Sodium.randomBytes(32)
        defer { Sodium.wipe(&secret) }
        let token = "dppt_" + Self.base64url(secret)
        let entry = Entry(name: name, tier: tier, source: source, admin: admin, createdAt: now, revokedAt: nil,
            sha256: Hex.encode(SHA256.hash(Array(token.utf8))))
        try write(existing + [entry])
        return (token, entry)
    }

    /// Revokes a token by name; it stops working at once (in a running server within a second).
    /// - Throws: ``LedgerError`` `not-found` if there is no such token.
    @discardableResult
    public func revoke(name: String, at now: Timestamp = .now()) throws -> Entry {
        var all = try Self.load(url)
        guard let i = all.firstIndex(where: { $0.name == name }) else {
            throw LedgerError(.notFound, "no token named \(name) (dpp tokens list shows them)")
        }
        if all[i].revokedAt != nil { return all[i] }
        let e = all[i]
        all[i] = Entry(name: e.name, tier: e.tier, source: e.source, admin: e.admin, createdAt: e.createdAt, revokedAt: now, sha256: e.sha256)
        try write(all)
        return all[i]
    }

    private func write(_ entries: [Entry]) throws {
        var text = ""
        for e in entries { text += CanonicalJSON.string(.object(e.json)) + "\n" }
        let temp = url.deletingLastPathComponent().appendingPathComponent(".access-tokens.\(UUID().uuidString).tmp")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LedgerError(.io, "cannot create \(temp.path): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temp.path, url.path) == 0 else {
            unlink(temp.path)
            throw LedgerError(.io, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        file.invalidate()
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        String(decoding: Sodium.base64(bytes), as: UTF8.self)
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
