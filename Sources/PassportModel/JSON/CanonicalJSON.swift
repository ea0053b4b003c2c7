/// RFC 8785 JSON Canonicalization Scheme (JCS).
///
/// Members sorted by their names' UTF-16 code units, no insignificant white space, numbers in
/// ECMAScript `Number.prototype.toString` form, strings with the minimal JSON escaping.
public enum CanonicalJSON {
    /// The canonical UTF-8 bytes of a value.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// The canonical form as a string.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    /// Parses `bytes` and returns their canonical form.
    /// - Throws: ``JSONError`` if the input is not JSON or cannot be canonicalized.
    public static func canonicalize(_ bytes: some Collection<UInt8>) throws(JSONError) -> [UInt8] {
        encode(try JSONParser.parse(bytes))
    }

    /// Appends the canonical form of `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): writeNumber(n.double, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            object.members.withUnsafeBufferPointer { members in
                // Input that is already canonical (signed events usually are) needs no sort;
                // other input is sorted by position (an insertion sort: objects are small),
                // which moves no member.
                var inOrder = true
                for i in members.indices.dropFirst() where !utf16Less(members[i - 1].key, members[i].key) {
                    inOrder = false
                    break
                }
                if inOrder {
                    for i in members.indices {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        writeString(members[i].key, into: &out)
                        out.append(UInt8(ascii: ":"))
                        write(members[i].value, into: &out)
                    }
                } else {
                    var order = Array(members.indices)
                    for i in order.indices.dropFirst() {
                        let moving = order[i]
                        var j = i
                        while j > 0, utf16Less(members[moving].key, members[order[j - 1]].key) {
                            order[j] = order[j - 1]
                            j -= 1
                        }
                        order[j] = moving
                    }
                    for (n, i) in order.enumerated() {
                        if n > 0 { out.append(UInt8(ascii: ",")) }
                        writeString(members[i].key, into: &out)
                        out.append(UInt8(ascii: ":"))
                        write(members[i].value, into: &out)
                    }
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Orders strings by UTF-16 code units, as RFC 8785 §3.2.3 requires.
    ///
    /// UTF-8 byte order is code point order, which equals UTF-16 order except between a
    /// supplementary character and one in U+E000–U+FFFF; only there (both differing bytes ≥ 0xEE)
    /// does it compare UTF-16.
    public static func utf16Less(_ a: String, _ b: String) -> Bool {
        // Contiguous UTF-8 (native and small strings): compare bytes, unless the first
        // difference is where UTF-8 and UTF-16 order can disagree.
        // 1: less, 2: not less, 0: compare UTF-16.
        let fast = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Int in
                let n = min(x.count, y.count)
                var i = 0
                while i < n, x[i] == y[i] { i += 1 }
                if i == n { return x.count < y.count ? 1 : 2 }
                if x[i] >= 0xEE && y[i] >= 0xEE { return 0 }
                return x[i] < y[i] ? 1 : 2
            } ?? 0
        } ?? 0
        if fast != 0 { return fast == 1 }
        var ia = a.utf8.makeIterator()
        var ib = b.utf8.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?):
                if x == y { continue }
                if x >= 0xEE && y >= 0xEE { return a.utf16.lexicographicallyPrecedes(b.utf16) }
                return x < y
            }
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { buf in
            // Copy runs that need no escaping in one go.
            var start = 0
            for i in 0..<buf.count {
                let c = buf[i]
                guard c < 0x20 || c == 0x22 || c == 0x5C else { continue }
                if start < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<i])) }
                start = i + 1
                switch c {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                default:
                    let hex: StaticString = "0123456789abcdef"
                    let h = UnsafeBufferPointer(start: hex.utf8Start, count: 16)
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, h[Int(c >> 4)], h[Int(c & 0xF)]])
                }
            }
            if start < buf.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start...])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends ``formatNumber(_:)`` of `value`; integers of up to 15 digits (the common case,
    /// and exactly how ECMAScript writes them) without going through text.
    static func writeNumber(_ value: Double, into out: inout [UInt8]) {
        guard value == value.rounded(.towardZero), abs(value) < 1e15, value != 0 else {
            out.append(contentsOf: formatNumber(value).utf8)
            return
        }
        var n = Int64(value)
        if n < 0 {
            out.append(UInt8(ascii: "-"))
            n = -n
        }
        var digits: (UInt64, UInt64) = (0, 0)  // up to 16 bytes, written backwards
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                count += 1
                d[16 - count] = UInt8(truncatingIfNeeded: n % 10) + 0x30
                n /= 10
            } while n > 0
            out.append(contentsOf: d[(16 - count)...])
        }
    }

    /// Formats a finite double as ECMAScript's `Number.prototype.toString` does (RFC 8785 §3.2.2.3).
    ///
    /// Uses the shortest digit string that round-trips (Swift's `description` produces it) and
    /// lays it out by ECMA-262 §7.1.12.1.
    /// - Precondition: `value.isFinite`.
    public static func formatNumber(_ value: Double) -> String {
        precondition(value.isFinite, "NaN and Infinity cannot be canonicalized")
        if value == 0 { return "0" }  // also -0
        if value < 0 { return "-" + formatNumber(-value) }
        // Split Swift's shortest round-trip representation into digits and exponent.
        let text = value.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...])!
        }
        var digits: [UInt8] = []
        var pointPosition = 0
        var seenPoint = false
        for c in mantissa.utf8 {
            if c == UInt8(ascii: ".") {
                seenPoint = true
                continue
            }
            digits.append(c)
            if !seenPoint { pointPosition += 1 }
        }
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            pointPosition -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        let k = digits.count
        let n = pointPosition + exponent  // value = 0.d1d2...dk × 10^n
        let ds = String(decoding: digits, as: UTF8.self)
        if k <= n && n <= 21 {
            return ds + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            let i = ds.index(ds.startIndex, offsetBy: n)
            return ds[..<i] + "." + ds[i...]
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + ds
        }
        let e = n - 1
        let sign = e < 0 ? "-" : "+"
        if k == 1 { return ds + "e" + sign + String(abs(e)) }
        return ds.prefix(1) + "." + ds.dropFirst() + "e" + sign + String(abs(e))
    }
}
