import CSodium

/// Process-wide libsodium initialisation; every entry point calls ``Sodium/ensureInitialized()``.
public enum Sodium {
    private static let initResult: Int32 = sodium_init()

    /// Initialises libsodium once; safe to call from any thread. Call it where a failure can be
    /// reported (opening a store, starting a tool); every other entry point then cannot fail.
    /// - Throws: ``SodiumError`` if libsodium cannot initialise (it needs a source of randomness,
    ///   such as `/dev/urandom`).
    public static func initialize() throws(SodiumError) {
        do {
            try check(initResult, "sodium_init")
        } catch {
            throw SodiumError("\(error.message): libsodium could not initialise; give the process a source of randomness (/dev/urandom) and retry")
        }
    }

    /// Initialises libsodium once; safe to call from any thread. Stops the process if libsodium
    /// cannot initialise: call ``initialize()`` first where that failure should be an error.
    public static func ensureInitialized() {
        do { try initialize() } catch { fatalError(error.message) }
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
        let encoded = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { b in
                o.baseAddress!.withMemoryRebound(to: CChar.self, capacity: o.count) {
                    sodium_bin2base64($0, o.count, b.baseAddress, b.count, variant)
                }
            }
        }
        // NULL only when the output buffer is too small; it is sized by sodium_base64_encoded_len.
        checkInfallible(encoded == nil ? -1 : 0, "sodium_bin2base64")
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
        // -1 means the text is not base64 (the buffer is large enough for any valid input): the
        // caller's answer is nil.
        guard (try? check(rc, "sodium_base642bin")) != nil, let end, text.withUnsafeBufferPointer({ t in
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

    /// Whether two byte strings are equal, in time that depends only on their length (libsodium
    /// `sodium_memcmp`), for comparing secrets such as token hashes.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 } }
    }

    /// Overwrites a buffer with zeros in a way the compiler cannot optimise away.
    public static func wipe(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) }
    }
}
