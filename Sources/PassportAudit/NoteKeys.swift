import PassportModel
import Sodium

/// The Ed25519 algorithm byte of C2SP signed-note keys.
let noteAlgorithmEd25519: UInt8 = 0x01

/// Validates a signed-note key name: non-empty, no `+`, no white space or control characters.
func noteKeyNameProblem(_ name: String) -> String? {
    if name.isEmpty { return "key name is empty" }
    if name.contains("+") { return "key name \"\(name)\" contains '+'" }
    if name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
        return "key name \"\(name)\" contains white space or control characters"
    }
    return nil
}

/// The 4-byte key ID of an Ed25519 note key: `SHA-256(name || 0x0A || 0x01 || public key)[0..<4]`.
public func noteKeyID(name: String, publicKey: Ed25519.PublicKey) -> UInt32 {
    let h = SHA256.hash(Array(name.utf8) + [0x0A, noteAlgorithmEd25519] + publicKey.bytes)
    return UInt32(h[0]) << 24 | UInt32(h[1]) << 16 | UInt32(h[2]) << 8 | UInt32(h[3])
}

func hex8(_ id: UInt32) -> String { String(id, radix: 16).leftPadded(toWidth: 8) }

/// A C2SP signed-note verifier key, `<name>+<hex key ID>+<base64(0x01 || public key)>`.
public struct NoteVerifierKey: Sendable, Hashable, CustomStringConvertible {
    /// The key name (for a log, its origin).
    public let name: String
    /// The 4-byte key ID.
    public let keyID: UInt32
    /// The Ed25519 public key.
    public let publicKey: Ed25519.PublicKey

    /// Creates the verifier key for a public key.
    public init(name: String, publicKey: Ed25519.PublicKey) throws(AuditError) {
        if let p = noteKeyNameProblem(name) { throw AuditError(.badKey, p) }
        self.name = name
        self.publicKey = publicKey
        self.keyID = noteKeyID(name: name, publicKey: publicKey)
    }

    /// Parses a vkey line.
    /// - Throws: ``AuditError`` naming what is wrong.
    public init(parsing text: String) throws(AuditError) {
        let t = text.trimmingSuffix("\n")
        let parts = t.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw AuditError(.badKey, "a verifier key is <name>+<hex id>+<base64 key>") }
        if let p = noteKeyNameProblem(parts[0]) { throw AuditError(.badKey, p) }
        guard Hex.isLowercaseHex(parts[1], bytes: 4), let id = UInt32(parts[1], radix: 16) else {
            throw AuditError(.badKey, "key ID must be 8 lowercase hex digits")
        }
        guard let raw = Base64.decode(parts[2]), raw.count == 33 else {
            throw AuditError(.badKey, "key material must be base64 of 33 bytes (0x01 and a 32-byte Ed25519 key)")
        }
        guard raw[0] == noteAlgorithmEd25519 else {
            throw AuditError(.badKey, "unsupported key algorithm 0x\(String(raw[0], radix: 16)); only Ed25519 (0x01) is supported")
        }
        let pk = try! Ed25519.PublicKey(bytes: Array(raw[1...]))
        guard noteKeyID(name: parts[0], publicKey: pk) == id else {
            throw AuditError(.badKey, "key ID \(parts[1]) does not match the key name and public key")
        }
        self.name = parts[0]
        self.keyID = id
        self.publicKey = pk
    }

    /// The key reference `<name>+<hex key ID>` used in event signatures.
    public var reference: String { name + "+" + hex8(keyID) }

    /// The vkey line.
    public var description: String {
        reference + "+" + Base64.encode([noteAlgorithmEd25519] + publicKey.bytes)
    }
}

/// A signed-note signer: a name and an Ed25519 signing key. Its text form (skey) is
/// `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`, as Go's `sumdb/note` writes it.
public struct NoteSigner: Sendable {
    /// The key name.
    public let name: String
    /// The signing key.
    public let key: Ed25519.SigningKey
    /// The matching verifier key.
    public let verifier: NoteVerifierKey

    /// Creates a signer.
    public init(name: String, key: Ed25519.SigningKey) throws(AuditError) {
        self.name = name
        self.key = key
        self.verifier = try NoteVerifierKey(name: name, publicKey: key.publicKey)
    }

    /// Generates a new signer with a random key.
    public static func generate(name: String) throws(AuditError) -> NoteSigner {
        try NoteSigner(name: name, key: .generate())
    }

    /// Parses an skey line.
    public init(parsingSecret text: String) throws(AuditError) {
        var bytes = Array(text.utf8)
        defer { Sodium.wipe(&bytes) }
        try self.init(parsingSecret: bytes)
    }

    /// Parses an skey line given as bytes (surrounding white space allowed); every temporary copy
    /// of the seed is wiped. The caller wipes `bytes`.
    public init(parsingSecret bytes: [UInt8]) throws(AuditError) {
        var t = bytes[...]
        while let b = t.last, b == 0x0A || b == 0x0D || b == 0x20 || b == 0x09 { t.removeLast() }
        while let b = t.first, b == 0x0A || b == 0x0D || b == 0x20 || b == 0x09 { t.removeFirst() }
        let prefix = Array("PRIVATE+KEY+".utf8)
        guard t.starts(with: prefix) else { throw AuditError(.badKey, "a signer key starts with PRIVATE+KEY+") }
        t.removeFirst(prefix.count)
        let malformed = AuditError(.badKey, "malformed signer key (expected PRIVATE+KEY+<name>+<id>+<base64 of 0x01 and a 32-byte seed>)")
        // The name has no '+'; the key ID is 8 hex digits; the rest is the base64 secret.
        guard let p1 = t.firstIndex(of: UInt8(ascii: "+")), let p2 = t[(p1 + 1)...].firstIndex(of: UInt8(ascii: "+")) else { throw malformed }
        let name = String(decoding: t[..<p1], as: UTF8.self)
        let id = String(decoding: t[(p1 + 1)..<p2], as: UTF8.self)
        guard var raw = Sodium.base64Decode(t[(p2 + 1)...]) else { throw malformed }
        defer { Sodium.wipe(&raw) }
        guard raw.count == 33, raw[0] == noteAlgorithmEd25519 else { throw malformed }
        var seed = Array(raw[1...])
        defer { Sodium.wipe(&seed) }
        let key: Ed25519.SigningKey
        do { key = try Ed25519.SigningKey(seed: seed) } catch { throw malformed }
        try self.init(name: name, key: key)
        guard hex8(verifier.keyID) == id else {
            throw AuditError(.badKey, "signer key ID \(id) does not match its name and key")
        }
    }

    /// The skey line as bytes. Secret: the caller writes it only to a 0600 file and wipes it
    /// (`Sodium.wipe`) after use.
    public func secretBytes() -> [UInt8] {
        var seed = [noteAlgorithmEd25519] + key.seed
        defer { Sodium.wipe(&seed) }
        return Array("PRIVATE+KEY+\(verifier.reference)+".utf8) + Sodium.base64(seed)
    }

    /// The skey text. Secret: write it only to a 0600 file, never to a log. (A `String` cannot be
    /// wiped; prefer ``secretBytes()``.)
    public var secretText: String {
        var bytes = secretBytes()
        defer { Sodium.wipe(&bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Signs a note text (which must end with a newline) and returns the whole signed note.
    public func sign(text: String) throws(AuditError) -> String {
        try SignedNote.checkText(text)
        let sig = key.sign(Array(text.utf8))
        let id = verifier.keyID
        let blob = [UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)] + sig
        return text + "\n\u{2014} " + name + " " + Base64.encode(blob) + "\n"
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
