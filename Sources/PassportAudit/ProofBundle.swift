import PassportModel
import Sodium

/// A C2SP tlog-proof v1 bundle: one entry's index, its inclusion proof, and the signed checkpoint.
///
/// ```
/// c2sp.org/tlog-proof@v1
/// index 41
/// <base64 hash, one per line>
///
/// <signed checkpoint note>
/// ```
public struct ProofBundle: Sendable, Hashable {
    /// The format's first line.
    public static let header = "c2sp.org/tlog-proof@v1"

    /// Leaf index of the entry.
    public let index: UInt64
    /// Inclusion proof hashes, from the leaf's sibling up.
    public let proof: [[UInt8]]
    /// The signed checkpoint note, verbatim.
    public let checkpointNote: String
    /// Optional opaque extra data (unauthenticated).
    public let extra: [UInt8]?

    /// Creates a bundle.
    public init(index: UInt64, proof: [[UInt8]], checkpointNote: String, extra: [UInt8]? = nil) {
        self.index = index
        self.proof = proof
        self.checkpointNote = checkpointNote
        self.extra = extra
    }

    /// The bundle text.
    public var text: String {
        var s = ProofBundle.header + "\n"
        if let extra { s += "extra " + Base64.encode(extra) + "\n" }
        s += "index \(index)\n"
        for h in proof { s += Base64.encode(h) + "\n" }
        return s + "\n" + checkpointNote
    }

    /// Parses a bundle.
    /// - Throws: ``AuditError`` naming the malformed part.
    public init(parsing text: String) throws(AuditError) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard lines.popFirst() == Substring(ProofBundle.header) else {
            throw AuditError(.badBundle, "a proof bundle starts with the line \(ProofBundle.header)")
        }
        var extra: [UInt8]?
        if let l = lines.first, l.hasPrefix("extra ") {
            guard let e = Base64.decode(String(l.dropFirst(6))) else { throw AuditError(.badBundle, "extra data is not base64") }
            extra = e
            lines.removeFirst()
        }
        guard let il = lines.popFirst(), il.hasPrefix("index "), let index = UInt64(il.dropFirst(6)),
            String(index) == il.dropFirst(6)
        else {
            throw AuditError(.badBundle, "expected 'index N' (decimal, no leading zeros) after the header")
        }
        var proof: [[UInt8]] = []
        while let l = lines.first, !l.isEmpty {
            guard let h = Base64.decode(String(l)), h.count == 32 else {
                throw AuditError(.badBundle, "proof line '\(l)' is not base64 of a 32-byte hash")
            }
            proof.append(h)
            lines.removeFirst()
        }
        guard lines.popFirst() != nil, !lines.isEmpty else {
            throw AuditError(.badBundle, "missing blank line and checkpoint after the proof hashes")
        }
        self.init(index: index, proof: proof, checkpointNote: lines.joined(separator: "\n"), extra: extra)
    }
}

/// What an offline record check established.
public struct VerifiedRecord: Sendable {
    /// The record.
    public let record: Record
    /// The checkpoint it was proven against.
    public let checkpoint: Checkpoint
    /// True if the event signature was also checked against a supplied source key.
    public let eventSignatureChecked: Bool
}

/// Offline verification of one record, with nothing but the ledger's vkey, the record and its proof.
public enum RecordAudit {
    /// Verifies a record against a tlog-proof bundle signed by the ledger.
    ///
    /// Checks: the checkpoint's signature with `ledgerKey` (and its origin, which is the ledger
    /// key's name), the record's bytes are canonical and well-formed, its index matches the
    /// bundle's, and its leaf hash is included in the checkpoint's tree. If `sourceKeys` holds the
    /// key named in the record's signature, the event's Ed25519 signature is checked too; if
    /// `sourceKeys` is not empty but holds no such key (nor is it the ledger key), that is an error,
    /// never a silently skipped check.
    /// - Throws: ``AuditError`` naming the first check that failed.
    public static func verify(
        recordBytes: [UInt8], bundle: ProofBundle, ledgerKey: NoteVerifierKey, sourceKeys: [NoteVerifierKey] = []
    ) throws(AuditError) -> VerifiedRecord {
        let checkpoint = try Checkpoint.open(bundle.checkpointNote, logKey: ledgerKey, origin: ledgerKey.name)
        let record: Record
        do {
            record = try Record(bytes: recordBytes, requireCanonical: true)
        } catch {
            throw AuditError(.badRecord, "record is not valid: \(error)")
        }
        guard record.index == bundle.index else {
            throw AuditError(.badRecord, "record index \(record.index) does not match the proof's index \(bundle.index)")
        }
        try Merkle.verifyInclusion(
            leafHash: Merkle.leafHash(recordBytes), index: bundle.index, treeSize: checkpoint.size,
            proof: bundle.proof, root: checkpoint.rootHash)
        var checked = false
        if let key = (sourceKeys + [ledgerKey]).first(where: { $0.reference == record.signature.key }) {
            guard key.publicKey.isValidSignature(record.signature.sig, for: record.event.signatureInput) else {
                throw AuditError(.badSignature, "event signature by \(key.reference) does not verify")
            }
            checked = true
        } else if !sourceKeys.isEmpty {
            throw AuditError(
                .badKey,
                "the event is signed by \(record.signature.key), but the source key\(sourceKeys.count == 1 ? "" : "s") supplied \(sourceKeys.count == 1 ? "is" : "are") "
                    + "\(sourceKeys.map(\.reference).joined(separator: ", ")): the event signature was not checked; supply \(record.signature.key)'s vkey, or no source key to check inclusion only")
        }
        return VerifiedRecord(record: record, checkpoint: checkpoint, eventSignatureChecked: checked)
    }
}
