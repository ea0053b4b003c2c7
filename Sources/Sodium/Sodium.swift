import Foundation
import CSodium

/// An error raised by the libsodium wrapper.
public struct SodiumError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in words a user can act on.
    public let message: String

    /// Creates an error with a message.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Process-wide libsodium initialisation; every entry point calls ``Sodium/ensureInitialized()``.
public enum Sodium {
    private static let initResult: Int32 = sodium_init()

    /// Initialises libsodium once; safe to call from any thread.
    public static func ensureInitialized() {
        precondition(initResult >= 0, "libsodium failed to initialise")
    }

    /// Returns `count` cryptographically secure random bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        ensureInitialized()
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
        return out
    }

    /// Standard base64 (with padding) of `bytes`, as bytes, so that secrets can be encoded into a
    /// buffer the caller wipes (libsodium `sodium_bin2base64`).
    public static func base64(_ bytes: [UInt8]) -> [UInt8] {
        ensureInitialized()
        let variant = sodium_base64_VARIANT_ORIGINAL
        var out = [UInt8](repeating: 0, count: sodium_base64_encoded_len(bytes.count, variant))
        out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { b in
                _ = o.baseAddress!.withMemoryRebound(to: CChar.self, capacity: o.count) {
                    sodium_bin2base64($0, o.count, b.baseAddress, b.count, variant)
                }
            }
        }
        out.removeLast()  // the terminating NUL
        return out
    }

    /// Decodes standard base64 (with padding) into a buffer the caller wipes, or nil if it is not
    /// exactly that (libsodium `sodium_base642bin`).
    public static func base64Decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        ensureInitialized()
        guard !text.isEmpty else { return [] }
        var out = [UInt8](repeating: 0, count: text.count / 4 * 3 + 3)
        var length = 0
        var end: UnsafePointer<CChar>?
        let rc = out.withUnsafeMutableBufferPointer { o in
            text.withUnsafeBufferPointer { t in
                t.baseAddress!.withMemoryRebound(to: CChar.self, capacity: t.count) {
                    sodium_base642bin(o.baseAddress!, o.count, $0, t.count, nil, &length, &end, sodium_base64_VARIANT_ORIGINAL)
                }
            }
        }
        guard rc == 0, let end, text.withUnsafeBufferPointer({ t in
            t.baseAddress!.withMemoryRebound(to: CChar.self, capacity: t.count) { end == $0 + t.count }
        }) else {
            wipe(&out)
            return nil
        }
        out.withUnsafeMutableBytes { p in
            if p.count > length { sodium_memzero(p.baseAddress! + length, p.count - length) }
        }
        out.removeLast(out.count - length)
        return out
    }

    /// Overwrites a buffer with zeros in a way the compiler cannot optimise away.
    public static func wipe(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) }
    }
}

/// SHA-256 (libsodium `crypto_hash_sha256`).
public enum SHA256 {
    /// The digest length in bytes.
    public static let byteCount = 32

    /// Hashes a byte sequence.
    public static func hash<Bytes: ContiguousBytes>(_ data: Bytes) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: byteCount)
        data.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { o in
                _ = crypto_hash_sha256(
                    o.baseAddress!, input.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    UInt64(input.count))
            }
        }
        return out
    }

    /// Hashes the concatenation of several byte sequences without copying them together.
    public static func hash(parts: [UnsafeRawBufferPointer]) -> [UInt8] {
        Sodium.ensureInitialized()
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        for part in parts where part.count > 0 {
            crypto_hash_sha256_update(&state, part.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(part.count))
        }
        var out = [UInt8](repeating: 0, count: byteCount)
        out.withUnsafeMutableBufferPointer { _ = crypto_hash_sha256_final(&state, $0.baseAddress!) }
        return out
    }

    /// An incremental hasher for data that arrives in pieces (files, streams).
    public struct Hasher: ~Copyable {
        private var state = crypto_hash_sha256_state()

        /// Starts a new hash.
        public init() {
            Sodium.ensureInitialized()
            crypto_hash_sha256_init(&state)
        }

        /// Adds bytes to the hash.
        public mutating func update<Bytes: ContiguousBytes>(_ data: Bytes) {
            data.withUnsafeBytes { b in
                if b.count > 0 {
                    _ = crypto_hash_sha256_update(&state, b.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(b.count))
                }
            }
        }

        /// Finishes and returns the digest.
        public consuming func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: SHA256.byteCount)
            out.withUnsafeMutableBufferPointer { _ = crypto_hash_sha256_final(&state, $0.baseAddress!) }
            return out
        }
    }
}

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
            _ = seed.withUnsafeBufferPointer { s in
                crypto_sign_seed_keypair(&pk, &sk, s.baseAddress!)
            }
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
                    _ = crypto_sign_detached(
                        &sig, nil, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count), sk.baseAddress!)
                }
            }
            return sig
        }

        deinit {
            Sodium.wipe(&secret)
        }
    }
}
