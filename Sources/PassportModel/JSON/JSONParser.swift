/// A strict JSON parser (RFC 8259) that also enforces what RFC 8785 canonicalization needs:
/// I-JSON numbers (integers within ±2^53, finite doubles), no duplicate member names, no lone
/// surrogates, valid UTF-8, bounded nesting.
public struct JSONParser {
    /// Maximum nesting of arrays and objects.
    public static let maxDepth = 64

    /// Parses one JSON value from UTF-8 bytes; only white space may follow it.
    /// - Throws: ``JSONError`` naming the offset and the rule broken.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buf) throws(JSONError) -> JSONValue in
            var p = Parser(buf: buf)
            p.skipWhitespace()
            let value = try p.parseValue(depth: 0)
            p.skipWhitespace()
            if p.pos != buf.count { throw p.error("unexpected data after the JSON value") }
            return value
        }
    }

    /// Parses one JSON value from a string.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// What to do with an integer literal beyond ±2^53 that no double represents exactly.
    public enum LargeIntegers: Sendable {
        /// Reject it (I-JSON; what everything that is signed or canonicalized needs).
        case reject
        /// Keep it: its ``JSONNumber/literal`` is exact, its ``JSONNumber/double`` rounded. For
        /// reading other systems' messages (Debezium's `ts_ns`, 64-bit log positions) whose big
        /// integers are read from the literal and never canonicalized as they are.
        case keepLiteral
    }

    /// Parses one JSON value from UTF-8 bytes, choosing what happens to integers beyond ±2^53.
    /// - Parameter largeIntegers: with `.reject` this is the strict parse.
    /// - Throws: ``JSONError`` naming the offset and the rule broken.
    public static func parse(_ bytes: some Collection<UInt8>, largeIntegers: LargeIntegers) throws(JSONError) -> JSONValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buf) throws(JSONError) -> JSONValue in
            var p = Parser(buf: buf)
            p.keepLargeIntegers = largeIntegers == .keepLiteral
            p.skipWhitespace()
            let value = try p.parseValue(depth: 0)
            p.skipWhitespace()
            if p.pos != buf.count { throw p.error("unexpected data after the JSON value") }
            return value
        }
    }
}

private struct Parser {
    let buf: UnsafeBufferPointer<UInt8>
    var pos = 0
    var keepLargeIntegers = false

    init(buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    func error(_ reason: String, at offset: Int? = nil) -> JSONError {
        JSONError(offset: offset ?? pos, reason: reason)
    }

    mutating func skipWhitespace() {
        while pos < buf.count {
            switch buf[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    mutating func expect(_ literal: StaticString, value: JSONValue) throws(JSONError) -> JSONValue {
        let n = literal.utf8CodeUnitCount
        guard pos + n <= buf.count else { throw error("unexpected end of input") }
        let lit = UnsafeBufferPointer(start: literal.utf8Start, count: n)
        for i in 0..<n where buf[pos + i] != lit[i] { throw error("invalid literal") }
        pos += n
        return value
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard pos < buf.count else { throw error("unexpected end of input") }
        switch buf[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character '\(printable(buf[pos]))'")
        }
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        if depth > JSONParser.maxDepth { throw error("nesting deeper than \(JSONParser.maxDepth) levels") }
        pos += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "}") {
            pos += 1
            return .object(JSONObject(uniqueMembers: members))
        }
        while true {
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
            let keyOffset = pos
            let key = try parseString()
            if !seen.insert(key).inserted {
                throw error("duplicate member name \"\(key)\"", at: keyOffset)
            }
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw error("expected ':' after member name") }
            pos += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append((key, value))
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in object") }
            if buf[pos] == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if buf[pos] == UInt8(ascii: "}") {
                pos += 1
                return .object(JSONObject(uniqueMembers: members))
            }
            throw error("expected ',' or '}' in object")
        }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        if depth > JSONParser.maxDepth { throw error("nesting deeper than \(JSONParser.maxDepth) levels") }
        pos += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in array") }
            if buf[pos] == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if buf[pos] == UInt8(ascii: "]") {
                pos += 1
                return .array(items)
            }
            throw error("expected ',' or ']' in array")
        }
    }

    mutating func parseHex4() throws(JSONError) -> UInt32 {
        guard pos + 4 <= buf.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    mutating func parseString() throws(JSONError) -> String {
        pos += 1  // opening quote
        let start = pos
        // Fast path: no escapes.
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: buf[start..<pos])
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                pos += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("unescaped control character U+00\(hex2(c)) in string") }
            pos += 1
        }
        guard pos < buf.count else { throw error("unterminated string", at: start - 1) }
        var bytes = [UInt8](UnsafeBufferPointer(rebasing: buf[start..<pos]))
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                guard let s = String(validating: bytes, as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                return s
            }
            if c < 0x20 { throw error("unescaped control character U+00\(hex2(c)) in string") }
            if c != UInt8(ascii: "\\") {
                bytes.append(c)
                pos += 1
                continue
            }
            pos += 1
            guard pos < buf.count else { break }
            let e = buf[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                let escapeAt = pos - 2
                var scalar = try parseHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard pos + 6 <= buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") else {
                        throw error("lone high surrogate \\u\(hex4(scalar)) cannot be canonicalized", at: escapeAt)
                    }
                    pos += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw error("high surrogate \\u\(hex4(scalar)) not followed by a low surrogate", at: escapeAt)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("lone low surrogate \\u\(hex4(scalar)) cannot be canonicalized", at: escapeAt)
                }
                bytes.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default:
                throw error("invalid escape '\\\(printable(e))' in string", at: pos - 2)
            }
        }
        throw error("unterminated string", at: start - 1)
    }

    mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = pos
        var isInteger = true
        if buf[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < buf.count, isDigit(buf[pos]) else { throw error("a number needs digits after '-'") }
        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < buf.count, isDigit(buf[pos]) { throw error("numbers may not have leading zeros", at: start) }
        } else {
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < buf.count, isDigit(buf[pos]) else { throw error("a number needs digits after '.'") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        let mantissaEnd = pos
        if pos < buf.count, buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < buf.count, isDigit(buf[pos]) else { throw error("a number needs digits in its exponent") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        let literal = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        guard let value = Double(literal), value.isFinite else {
            throw error("number \(literal) is outside the range of an IEEE 754 double (I-JSON)", at: start)
        }
        // A non-zero literal too small for a double would silently become 0 (subnormals are kept).
        if value == 0, buf[start..<mantissaEnd].contains(where: { $0 >= 0x31 && $0 <= 0x39 }) {
            throw error(
                "number \(literal) is too small for an IEEE 754 double (I-JSON): it is not zero but would become 0; write 0 if zero is meant",
                at: start)
        }
        // Beyond ±2^53 an integer survives only if it is exactly a double's canonical text
        // (as RFC 8785 writes large doubles); anything else would silently change.
        if isInteger, !keepLargeIntegers, exceedsExactIntegerRange(literal), CanonicalJSON.formatNumber(value) != literal {
            throw error(
                "integer \(literal) is outside the I-JSON range ±2^53 and has no exact IEEE 754 double (it would become \(CanonicalJSON.formatNumber(value)))",
                at: start)
        }
        return JSONNumber(literal: literal, double: value)
    }
}

/// True if an integer literal's magnitude exceeds 2^53 (compared exactly, on its digits).
private func exceedsExactIntegerRange(_ literal: String) -> Bool {
    let digits = literal.hasPrefix("-") ? literal.dropFirst() : Substring(literal)
    let limit = "9007199254740992"
    if digits.count != limit.count { return digits.count > limit.count }
    return digits > limit
}

@inline(__always) private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

private func hex2(_ c: UInt8) -> String { String(c, radix: 16, uppercase: true).leftPadded(toWidth: 2) }

private func hex4(_ v: UInt32) -> String { String(v, radix: 16, uppercase: true).leftPadded(toWidth: 4) }

private func printable(_ c: UInt8) -> String {
    (0x21...0x7E).contains(c) ? String(UnicodeScalar(c)) : "\\x" + hex2(c)
}
