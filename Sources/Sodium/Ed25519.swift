import Foundation
import CSodium

/// Ed25519 signatures (libsodium `crypto_sign_*`, RFC 8032).
public enum Ed25519 {
    /// Length of a public key in bytes.
    public static let publicKeyLength = 32
    /// Length of a seed (the private key material we store) in bytes.
    public static let seedLength = 32
    /// Length of a signature in bytes.
    public static let signatureLength = 64

    /// An Ed25519 public key.
    public struct PublicKey: Hashable, Sendable {
        /// The 32 raw key bytes.
        public let bytes: [UInt8]

        /// Wraps 32 raw key bytes.
        /// - Throws: ``SodiumError`` if the length is wrong.
        public init(bytes: [UInt8]) throws {
            guard bytes.count == Ed25519.publicKeyLength else {
                throw SodiumError("an Ed25519 public key is 32 bytes, got \(bytes.count)")
            }
            self.bytes = bytes
        }

        /// Checks a detached signature over `message`.
        /// - Returns: `true` only if the signature is valid for this key.
        public func isValidSignature<Message: ContiguousBytes>(_ signature: [UInt8], for message: Message) -> Bool {
            guard signature.count == Ed25519.signatureLength else { return false }
            Sodium.ensureInitialized()
            // -1 is the answer "not a valid signature", not a failure of the call.
            return message.withUnsafeBytes { m in
                signature.withUnsafeBufferPointer { s in
                    bytes.withUnsafeBufferPointer { k in
                        crypto_sign_verify_detached(
                            s.baseAddress!, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count),
                            k.baseAddress!) == 0
                    }
                }
            }
        }
    }

    /// An Ed25519 signing key. The secret is wiped from memory when the key is released.
    public final class SigningKey: Sendable {
        // The secret is written only in `init` and wiped in `deinit`, when no other reference exists.
        private nonisolated(unsafe) var secret: [UInt8]  // libsodium's 64-byte form: seed || public key
        /// The matching public key.
        public let publicKey: PublicKey

        /// Derives a signing key from a 32-byte seed.
        /// - Throws: ``SodiumError`` if the seed is not 32 bytes.
        public init(seed: [UInt8]) throws {
            guard seed.count == Ed25519.seedLength else {
                throw SodiumError("an Ed25519 seed is 32 bytes, got \(seed.count)")
            }
            Sodium.ensureInitialized()
            var pk = [UInt8](repeating: 0, count: Ed25519.publicKeyLength)
            var sk = [UInt8](repeating: 0, count: 64)
            let rc = seed.withUnsafeBufferPointer { s in
                crypto_sign_seed_keypair(&pk, &sk, s.baseAddress!)
            }
            checkInfallible(rc, "crypto_sign_seed_keypair")
            self.secret = sk
            self.publicKey = try PublicKey(bytes: pk)
        }

        /// Generates a new random signing key.
        public static func generate() -> SigningKey {
            var seed = Sodium.randomBytes(Ed25519.seedLength)
            defer { Sodium.wipe(&seed) }
            // A 32-byte seed always succeeds.
            return try! SigningKey(seed: seed)
        }

        /// The 32-byte seed; handle with care and wipe copies after use.
        public var seed: [UInt8] { Array(secret[0..<32]) }

        /// Signs `message`, returning a 64-byte detached signature.
        public func sign<Message: ContiguousBytes>(_ message: Message) -> [UInt8] {
            var sig = [UInt8](repeating: 0, count: Ed25519.signatureLength)
            message.withUnsafeBytes { m in
                secret.withUnsafeBufferPointer { sk in
                    checkInfallible(
                        crypto_sign_detached(
                            &sig, nil, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count), sk.baseAddress!),
                        "crypto_sign_detached")
                }
            }
            return sig
        }

        deinit {
            Sodium.wipe(&secret)
        }
    }
}
