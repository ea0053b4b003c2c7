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

    /// How ``parse(_:splitting:)`` hands the elements of a large array to other threads.
    public struct ArraySplitting: Sendable {
        /// Arrays nested at most this deep are candidates (the top-level value is at depth 1).
        public var maxDepth: Int
        /// Arrays with fewer elements are parsed in place.
        public var minimumCount: Int
        /// Calls `parse` on every range, on as many threads as it likes, and returns the results in order.
        public var map: @Sendable ([Range<Int>], @Sendable (Range<Int>) -> Result<JSONValue, JSONError>) -> [Result<JSONValue, JSONError>]

        /// Describes the splitting.
        /// - Parameters:
        ///   - maxDepth: the deepest nesting of an array whose elements may be split off.
        ///   - minimumCount: the fewest elements worth splitting.
        ///   - map: runs the element parses (e.g. on all cores), keeping their order.
        public init(
            maxDepth: Int, minimumCount: Int,
            map: @escaping @Sendable ([Range<Int>], @Sendable (Range<Int>) -> Result<JSONValue, JSONError>) -> [Result<JSONValue, JSONError>]
        ) {
            self.maxDepth = maxDepth
            self.minimumCount = minimumCount
            self.map = map
        }
    }

    /// Parses like ``parse(_:)``, with the same result and the same errors, but the elements of
    /// large arrays (a document's list of thousands of events) are parsed by `splitting.map`,
    /// typically on all cores: their boundaries are found by a quick scan, then each element is
    /// parsed on its own. When the scan or any element fails, the array is parsed again in
    /// place, so an error names the same offset and rule as ``parse(_:)`` does.
    /// - Complexity: O(n) work, as ``parse(_:)``, plus one scan of each split array.
    /// - Throws: ``JSONError`` naming the offset and the rule broken.
    public static func parse(_ bytes: [UInt8], splitting: ArraySplitting) throws(JSONError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buf) throws(JSONError) -> JSONValue in
            var p = Parser(buf: buf)
            p.splitting = splitting
            p.source = bytes
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
    /// Set for a parse that splits large arrays; `source` is the array `buf` points into.
    var splitting: JSONParser.ArraySplitting?
    var source: [UInt8] = []

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
        // Small objects (nearly all) find a duplicate name by looking; large ones by hashing.
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
            let duplicate: Bool
            if members.count < 16 {
                duplicate = members.contains { $0.key == key }
            } else {
                if seen.isEmpty { seen = Set(members.map(\.key)) }
                duplicate = !seen.insert(key).inserted
            }
            if duplicate {
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
        if let splitting, depth <= splitting.maxDepth, let split = parseSplit(depth: depth, splitting) { return split }
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

    /// The array at `pos` with its elements parsed by `splitting.map`, `pos` after it; nil (and
    /// `pos` unchanged) when it is too small, or the scan or an element fails: the caller then
    /// parses it in place, which finds the same error as a parse in one piece would.
    mutating func parseSplit(depth: Int, _ splitting: JSONParser.ArraySplitting) -> JSONValue? {
        let start = pos
        guard let (ranges, end) = elementRanges(), ranges.count >= splitting.minimumCount else {
            pos = start
            return nil
        }
        let source = self.source
        let keepLarge = keepLargeIntegers
        let results = splitting.map(ranges) { range in
            source.withUnsafeBufferPointer { buf in
                var p = Parser(buf: buf)
                p.pos = range.lowerBound
                p.keepLargeIntegers = keepLarge
                do throws(JSONError) {
                    let value = try p.parseValue(depth: depth)
                    guard p.pos == range.upperBound else { return .failure(p.error("element ends elsewhere than the scan found")) }
                    return .success(value)
                } catch {
                    return .failure(error)
                }
            }
        }
        var items: [JSONValue] = []
        items.reserveCapacity(results.count)
        for r in results {
            guard case .success(let v) = r else {
                pos = start
                return nil
            }
            items.append(v)
        }
        pos = end
        return .array(items)
    }

    /// The byte ranges of the elements of the array at `pos` (white space trimmed) and the offset
    /// after its `]`, found by matching brackets and strings without parsing; nil if the scan
    /// finds something malformed (the parse in place reports it).
    func elementRanges() -> ([Range<Int>], Int)? {
        var i = pos + 1
        var ranges: [Range<Int>] = []
        func skipSpace() {
            while i < buf.count, buf[i] == 0x20 || buf[i] == 0x09 || buf[i] == 0x0A || buf[i] == 0x0D { i += 1 }
        }
        skipSpace()
        if i < buf.count, buf[i] == UInt8(ascii: "]") { return (ranges, i + 1) }
        while true {
            skipSpace()
            let elementStart = i
            var nesting = 0
            // One value: a string, a bracketed run (strings inside skipped), or a bare literal or number.
            repeat {
                guard i < buf.count else { return nil }
                let c = buf[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    while i < buf.count, buf[i] != UInt8(ascii: "\"") { i += buf[i] == UInt8(ascii: "\\") ? 2 : 1 }
                    guard i < buf.count else { return nil }
                    i += 1
                } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                    nesting += 1
                    i += 1
                } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    if nesting == 0 { return nil }
                    nesting -= 1
                    i += 1
                } else if nesting == 0 {
                    // A bare literal or number runs to the next separator.
                    while i < buf.count, buf[i] != UInt8(ascii: ","), buf[i] != UInt8(ascii: "]"), buf[i] != 0x20, buf[i] != 0x09,
                        buf[i] != 0x0A, buf[i] != 0x0D
                    { i += 1 }
                } else {
                    i += 1
                }
            } while nesting > 0
            if i == elementStart { return nil }
            ranges.append(elementStart..<i)
            skipSpace()
            guard i < buf.count else { return nil }
            if buf[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if buf[i] == UInt8(ascii: "]") { return (ranges, i + 1) }
            return nil
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
        var bits: UInt8 = 0
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: buf[start..<pos])
                // ASCII is valid UTF-8 as it is (and the common case); anything else is validated.
                if bits < 0x80 {
                    pos += 1
                    return String(decoding: slice, as: UTF8.self)
                }
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                pos += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("unescaped control character U+00\(hex2(c)) in string") }
            bits |= c
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
