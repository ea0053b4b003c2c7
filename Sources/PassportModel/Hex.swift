import Foundation

/// Hex and base64 helpers used by every format in the project.
public enum Hex {
    /// Lowercase hex of bytes.
    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits: StaticString = "0123456789abcdef"
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        digits.withUTF8Buffer { d in
            for b in bytes {
                out.append(d[Int(b >> 4)])
                out.append(d[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of one hex digit (either case), or nil.
    public static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// Decodes lowercase or uppercase hex; nil if malformed.
    public static func decode(_ s: String) -> [UInt8]? {
        let b = Array(s.utf8)
        guard b.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(b.count / 2)
        let nibble = Hex.value
        var i = 0
        while i < b.count {
            guard let hi = nibble(b[i]), let lo = nibble(b[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// True if `s` is exactly `bytes` bytes of lowercase hex.
    public static func isLowercaseHex(_ s: String, bytes: Int) -> Bool {
        s.utf8.count == bytes * 2 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

/// Standard base64 (RFC 4648 §4), strict: padding required, no white space.
public enum Base64 {
    /// Encodes bytes.
    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>) -> String { Data(bytes).base64EncodedString() }

    /// Decodes strictly; nil if malformed or not in canonical form.
    public static func decode(_ s: String) -> [UInt8]? {
        guard let d = Data(base64Encoded: s) else { return nil }
        let bytes = [UInt8](d)
        // Reject non-canonical encodings (e.g. non-zero padding bits) so one value has one text.
        guard encode(bytes) == s else { return nil }
        return bytes
    }
}

/// Percent-encoding (RFC 3986 §2.1) with a caller-chosen set of bytes kept as they are.
public enum PercentEncoding {
    /// Letters and digits: kept by every use in the project.
    public static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// Decodes every `%XX` (either case) into its byte; nil if a `%` is not followed by two hex digits.
    public static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let hi = Hex.value(it[it.startIndex]), let lo = Hex.value(it[it.startIndex + 1]) else { return nil }
                out.append(hi << 4 | lo)
                it = it.dropFirst(2)
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Encodes every UTF-8 byte not kept as `%XX` (uppercase hex).
    public static func encode(_ s: String, keeping keep: (UInt8) -> Bool) -> String {
        var out = ""
        for b in s.utf8 {
            out += keep(b) ? String(UnicodeScalar(b)) : "%" + String(b, radix: 16, uppercase: true).leftPadded(toWidth: 2)
        }
        return out
    }
}

extension String {
    /// The string padded on the left with zeros to at least `width` characters.
    public func leftPadded(toWidth width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Base58 in the Bitcoin alphabet, as the `z` prefix of multibase (base58btc) writes it in W3C
/// Data Integrity proofs and Multikey public keys.
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    static let values: [UInt8: Int] = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($0.element, $0.offset) })

    /// Encodes bytes (leading zero bytes become leading `1`s).
    public static func encode(_ bytes: [UInt8]) -> String {
        var digits: [Int] = []  // base 58, least significant first
        for b in bytes {
            var carry = Int(b)
            for i in digits.indices {
                carry += digits[i] << 8
                digits[i] = carry % 58
                carry /= 58
            }
            while carry > 0 {
                digits.append(carry % 58)
                carry /= 58
            }
        }
        let zeros = bytes.prefix { $0 == 0 }.count
        return String(decoding: Array(repeating: alphabet[0], count: zeros) + digits.reversed().map { alphabet[$0] }, as: UTF8.self)
    }

    /// Decodes text, or nil if it holds a character outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [Int] = []  // base 256, least significant first
        for c in text.utf8 {
            guard var carry = values[c] else { return nil }
            for i in bytes.indices {
                carry += bytes[i] * 58
                bytes[i] = carry & 0xFF
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(carry & 0xFF)
                carry >>= 8
            }
        }
        let zeros = text.utf8.prefix { $0 == alphabet[0] }.count
        return Array(repeating: 0, count: zeros) + bytes.reversed().map(UInt8.init)
    }
}
