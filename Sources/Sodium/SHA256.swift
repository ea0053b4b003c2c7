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
