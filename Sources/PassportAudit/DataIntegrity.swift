import PassportModel
import Sodium

/// W3C Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C "Data Integrity EdDSA
/// Cryptosuites v1.0" §3.3): Ed25519 over `SHA-256(JCS(proof options)) ‖ SHA-256(JCS(document))`,
/// the signature written as multibase base58btc. JCS is RFC 8785, the project's canonical JSON,
/// so anyone can check a passport credential with a standard Data Integrity library.
public enum DataIntegrity {
    /// The cryptosuite's name.
    public static let cryptosuite = "eddsa-jcs-2022"

    /// The 64 bytes that are signed: the hash of the proof options (without `proofValue`), then
    /// the hash of the document (without `proof`).
    public static func hashData(document: JSONObject, options: JSONObject) -> [UInt8] {
        var doc = document
        doc["proof"] = nil
        var opts = options
        opts["proofValue"] = nil
        return SHA256.hash(CanonicalJSON.encode(.object(opts))) + SHA256.hash(CanonicalJSON.encode(.object(doc)))
    }

    /// The document with its proof: `options` (type, cryptosuite, created, verificationMethod,
    /// proofPurpose, and the document's `@context`) plus the `proofValue` that `sign` makes of the
    /// hash data.
    public static func secure(_ document: JSONObject, options: JSONObject, sign: ([UInt8]) throws -> [UInt8]) rethrows -> JSONObject {
        var proof = options
        proof["proofValue"] = .string("z" + Base58.encode(try sign(hashData(document: document, options: options))))
        var secured = document
        secured["proof"] = .object(proof)
        return secured
    }

    /// Checks a secured document's proof with an Ed25519 public key.
    /// - Throws: ``AuditError`` naming what does not hold.
    public static func verify(_ secured: JSONObject, publicKey: Ed25519.PublicKey) throws(AuditError) {
        guard let proof = secured["proof"]?.objectValue else { throw AuditError(.badSignature, "the document has no proof") }
        guard proof["type"] == "DataIntegrityProof", proof["cryptosuite"] == .string(cryptosuite) else {
            throw AuditError(.badSignature, "the proof is not a DataIntegrityProof of \(cryptosuite)")
        }
        if let context = proof["@context"], context != secured["@context"] {
            throw AuditError(.badSignature, "the proof's @context is not the document's")
        }
        guard let value = proof["proofValue"]?.stringValue, value.hasPrefix("z"), let signature = Base58.decode(String(value.dropFirst())),
            signature.count == 64
        else { throw AuditError(.badSignature, "proofValue is not a base58btc (z…) Ed25519 signature") }
        guard publicKey.isValidSignature(signature, for: hashData(document: secured, options: proof)) else {
            throw AuditError(.badSignature, "the \(cryptosuite) signature does not verify")
        }
    }

    /// A Multikey public key: multibase base58btc of the ed25519-pub multicodec (0xed 0x01) and the key.
    public static func multikey(_ publicKey: Ed25519.PublicKey) -> String {
        "z" + Base58.encode([0xED, 0x01] + publicKey.bytes)
    }
}
