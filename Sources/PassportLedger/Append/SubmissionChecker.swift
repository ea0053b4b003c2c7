import PassportAudit
import PassportModel

extension Ledger {
    /// The order-independent checks of submissions — each signature against the registered key,
    /// each event's data against its type — run by the ledger wherever the caller parses, so an
    /// ingest layer can do them in the same parallel pass as parsing (``Ledger/append(_:)`` then
    /// checks only what depends on order). Only the ledger fills in the result, so no caller can
    /// claim a signature was checked.
    public struct SubmissionChecker: Sendable {
        let keys: [String: NoteVerifierKey]
        let governance: Bool

        /// The submission with the ledger's checks done.
        public func check(_ submission: Submission) -> Submission {
            var s = submission
            s.prechecked = Ledger.precheck(s, keys: keys, governance: governance)
            return s
        }
    }

    /// A checker with the keys registered now.
    /// - Throws: ``LedgerError`` if the key table cannot be read.
    public func submissionChecker() throws -> SubmissionChecker {
        SubmissionChecker(keys: Dictionary(uniqueKeysWithValues: try keys().map { ($0.reference, $0.vkey) }), governance: options.governance)
    }

    /// Signs events with a source's registered key for an ingest layer, and does the ledger's
    /// checks in the same step. The signature it makes is not verified again — it was made here,
    /// with the key file whose public key is the registered one (checked when this is made) — which
    /// saves one Ed25519 verification per event; only the ledger can make one.
    public struct SourceSigning: Sendable {
        let signer: NoteSigner
        let checker: SubmissionChecker

        /// The signing key's reference (`<name>+<hex id>`).
        public var reference: String { signer.verifier.reference }

        /// The submission of `event` signed with the source's key, the ledger's checks done.
        /// - Parameters:
        ///   - hashed: attachments already hashed (stored first, before `blobs`), whose hashes the
        ///     checks take as they are.
        ///   - blobs: other attachment bytes, hashed by the checks.
        public func submission(
            signing event: Event, raw: [UInt8], origin: String, intake: JSONObject, hashed: [HashedBlob] = [], blobs: [[UInt8]] = [],
            quarantineID: UInt64? = nil, positions: [SourcePosition] = []
        ) -> Submission {
            let signed = SignedEvent(event: event, signature: EventSignature(key: signer.verifier.reference, sig: signer.key.sign(event.signatureInput)))
            var s = Submission(
                raw: raw, origin: origin, intake: intake, content: .success(signed), blobs: hashed.map(\.bytes) + blobs, quarantineID: quarantineID)
            s.positions = positions
            s.prechecked = Ledger.precheck(
                s, keys: checker.keys, governance: checker.governance, signedHereBy: signer.verifier, hashedBlobs: hashed.map(\.sha256))
            return s
        }
    }

    /// Signing with `source`'s active key, for an ingest layer.
    /// - Throws: ``LedgerError`` if the source has no active key, its key file is missing, or the
    ///   file's key is not the registered one.
    public func sourceSigning(_ source: String) throws -> SourceSigning {
        let signer = try sourceSigner(source)
        guard let registered = try keys().first(where: { $0.reference == signer.verifier.reference }),
            registered.vkey.publicKey.bytes == signer.verifier.publicKey.bytes
        else {
            throw LedgerError(.key, "the key file of \(source) does not hold the registered key \(signer.verifier.reference)")
        }
        return SourceSigning(signer: signer, checker: try submissionChecker())
    }
}
