import Foundation
import PassportModel
import Sodium

/// A C2SP signed note: a text and one or more signature lines (`— <name> <base64(key ID || sig)>`).
public struct SignedNote: Sendable, Hashable {
    /// One signature line.
    public struct Signature: Sendable, Hashable {
        /// The signer's key name.
        public let name: String
        /// The 4-byte key ID.
        public let keyID: UInt32
        /// The signature bytes.
        public let signature: [UInt8]
    }

    /// The signed text, ending with a newline.
    public let text: String
    /// All signature lines, in order.
    public let signatures: [Signature]

    /// Maximum signature lines accepted (as Go's implementation).
    public static let maxSignatures = 100

    static func checkText(_ text: String) throws(AuditError) {
        guard text.hasSuffix("\n") else { throw AuditError(.badNote, "note text must end with a newline") }
        if text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F }) {
            throw AuditError(.badNote, "note text must not contain control characters")
        }
    }

    /// Parses a signed note without verifying it.
    /// - Throws: ``AuditError`` if the note is malformed.
    public init(parsing note: String) throws(AuditError) {
        guard let sep = note.range(of: "\n\n", options: .backwards) else {
            throw AuditError(.badNote, "a signed note needs a blank line between its text and its signatures")
        }
        let text = String(note[..<sep.lowerBound]) + "\n"
        try SignedNote.checkText(text)
        let block = String(note[sep.upperBound...])
        guard block.hasSuffix("\n") else { throw AuditError(.badNote, "signature lines must end with a newline") }
        var sigs: [Signature] = []
        for line in block.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("\u{2014} ") else {
                throw AuditError(.badNote, "malformed signature line (expected '— <name> <signature>')")
            }
            let rest = line.dropFirst(2)
            let parts = rest.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, noteKeyNameProblem(String(parts[0])) == nil,
                let blob = Base64.decode(String(parts[1])), blob.count >= 5
            else {
                throw AuditError(.badNote, "malformed signature line '\(line)'")
            }
            let id = UInt32(blob[0]) << 24 | UInt32(blob[1]) << 16 | UInt32(blob[2]) << 8 | UInt32(blob[3])
            sigs.append(Signature(name: String(parts[0]), keyID: id, signature: Array(blob[4...])))
        }
        guard !sigs.isEmpty else { throw AuditError(.badNote, "the note has no signatures") }
        guard sigs.count <= SignedNote.maxSignatures else { throw AuditError(.badNote, "the note has too many signatures") }
        self.text = text
        self.signatures = sigs
    }

    /// Parses and verifies a note: every signature by one of `keys` must verify, and at least one must be present.
    /// - Returns: the verified note.
    /// - Throws: ``AuditError`` if malformed, if a known key's signature is invalid, or if no known key signed it.
    public static func open(_ note: String, verifiers keys: [NoteVerifierKey]) throws(AuditError) -> SignedNote {
        let parsed = try SignedNote(parsing: note)
        var verified = 0
        for sig in parsed.signatures {
            guard let key = keys.first(where: { $0.name == sig.name && $0.keyID == sig.keyID }) else { continue }
            guard key.publicKey.isValidSignature(sig.signature, for: Array(parsed.text.utf8)) else {
                throw AuditError(.badNote, "signature by \(key.reference) does not verify: the note was altered or forged")
            }
            verified += 1
        }
        guard verified > 0 else {
            let names = parsed.signatures.map { "\($0.name)+\(hex8($0.keyID))" }.joined(separator: ", ")
            throw AuditError(.badNote, "no signature from a trusted key (signed by: \(names))")
        }
        return parsed
    }
}

/// A C2SP tlog-checkpoint body: origin, tree size, root hash, optional extension lines.
public struct Checkpoint: Sendable, Hashable {
    /// The log's origin line (its identity).
    public let origin: String
    /// Number of leaves.
    public let size: UInt64
    /// Merkle root hash (32 bytes).
    public let rootHash: [UInt8]
    /// Extension lines, if any.
    public let extensions: [String]

    /// Creates a checkpoint body.
    public init(origin: String, size: UInt64, rootHash: [UInt8], extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n` plus extension lines.
    public var text: String {
        ([origin, String(size), Base64.encode(rootHash)] + extensions).map { $0 + "\n" }.joined()
    }

    /// Parses a checkpoint note text.
    public init(text: String) throws(AuditError) {
        guard text.hasSuffix("\n") else { throw AuditError(.badCheckpoint, "checkpoint text must end with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else { throw AuditError(.badCheckpoint, "a checkpoint has origin, size and root hash lines") }
        guard !lines[0].isEmpty else { throw AuditError(.badCheckpoint, "empty origin line") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            throw AuditError(.badCheckpoint, "tree size '\(lines[1])' is not a decimal number without leading zeros")
        }
        guard let root = Base64.decode(lines[2]), root.count == 32 else {
            throw AuditError(.badCheckpoint, "root hash is not base64 of 32 bytes")
        }
        if lines.dropFirst(3).contains(where: \.isEmpty) { throw AuditError(.badCheckpoint, "empty extension line") }
        self.init(origin: lines[0], size: size, rootHash: root, extensions: Array(lines.dropFirst(3)))
    }

    /// Verifies a signed checkpoint note with the log's key and parses it.
    /// - Parameter origin: if given, the checkpoint's origin must equal it.
    public static func open(_ note: String, logKey: NoteVerifierKey, origin: String? = nil) throws(AuditError) -> Checkpoint {
        let n = try SignedNote.open(note, verifiers: [logKey])
        let cp = try Checkpoint(text: n.text)
        if let origin, cp.origin != origin {
            throw AuditError(.badCheckpoint, "checkpoint origin '\(cp.origin)' is not the expected '\(origin)'")
        }
        return cp
    }
}
