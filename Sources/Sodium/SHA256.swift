import Foundation
import CSodium

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
                checkInfallible(
                    crypto_hash_sha256(
                        o.baseAddress!, input.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        UInt64(input.count)),
                    "crypto_hash_sha256")
            }
        }
        return out
    }

    /// Hashes the concatenation of several byte sequences without copying them together.
    public static func hash(parts: [UnsafeRawBufferPointer]) -> [UInt8] {
        Sodium.ensureInitialized()
        var state = crypto_hash_sha256_state()
        checkInfallible(crypto_hash_sha256_init(&state), "crypto_hash_sha256_init")
        for part in parts where part.count > 0 {
            checkInfallible(
                crypto_hash_sha256_update(&state, part.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(part.count)),
                "crypto_hash_sha256_update")
        }
        var out = [UInt8](repeating: 0, count: byteCount)
        out.withUnsafeMutableBufferPointer { checkInfallible(crypto_hash_sha256_final(&state, $0.baseAddress!), "crypto_hash_sha256_final") }
        return out
    }

    /// An incremental hasher for data that arrives in pieces (files, streams).
    public struct Hasher: ~Copyable {
        private var state = crypto_hash_sha256_state()

        /// Starts a new hash.
        public init() {
            Sodium.ensureInitialized()
            checkInfallible(crypto_hash_sha256_init(&state), "crypto_hash_sha256_init")
        }

        /// Adds bytes to the hash.
        public mutating func update<Bytes: ContiguousBytes>(_ data: Bytes) {
            data.withUnsafeBytes { b in
                if b.count > 0 {
                    checkInfallible(
                        crypto_hash_sha256_update(&state, b.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(b.count)),
                        "crypto_hash_sha256_update")
                }
            }
        }

        /// Finishes and returns the digest.
        public consuming func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: SHA256.byteCount)
            out.withUnsafeMutableBufferPointer { checkInfallible(crypto_hash_sha256_final(&state, $0.baseAddress!), "crypto_hash_sha256_final") }
            return out
        }
    }
}
