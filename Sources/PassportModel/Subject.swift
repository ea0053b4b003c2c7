/// A subject identifier: what a stream of events is about (DESIGN §8).
///
/// - `01/<GTIN-14>`: a product model; `01/<GTIN-14>/10/<lot>`: a batch;
///   `01/<GTIN-14>/21/<serial>`: an item (GS1 Digital Link path syntax, check digit verified,
///   lot and serial 1–20 characters of GS1 character set 82 in canonical percent-encoding:
///   `A–Z a–z 0–9 - . _` literal, every other character as `%XX` with uppercase hex);
/// - `00/<SSCC-18>`: a logistic unit (a pallet, a case; GS1 Digital Link path syntax, check digit
///   verified), what WMS and TMS pack batches and items into and ship;
/// - `supplier/<id>`, `facility/<id>`: `<id>` is 1–64 of `A–Z a–z 0–9 . _ : -`;
/// - `system`: the ledger's own governance stream.
///
/// There is exactly one spelling of each subject, so comparing the text byte for byte compares
/// identities; ``canonical(_:)`` turns any other spelling into it. A subject is at most
/// ``maxBytes`` bytes (it is part of index keys).
public struct Subject: Sendable, Hashable, CustomStringConvertible {
    /// The kinds of subject.
    public enum Kind: String, Sendable {
        /// `01/<GTIN>`, `…/10/<lot>`, `…/21/<serial>`, `supplier/<id>`, `facility/<id>`, `system`,
        /// `00/<SSCC>` (a logistic unit).
        case model, batch, item, supplier, facility, system, logisticUnit
    }

    /// The identifier as text.
    public let rawValue: String
    /// What kind of subject this is.
    public let kind: Kind

    public var description: String { rawValue }

    /// The longest subject in bytes: `01/<14 digits>/21/` and 20 characters each encoded as `%XX`.
    public static let maxBytes = 21 + 3 * GS1.maxAttributeLength

    /// The `system` subject.
    public static let system = try! Subject("system")

    /// Validates a subject identifier, which must be in its canonical spelling.
    /// - Throws: ``SubjectError`` naming the rule broken; for a lot or serial spelled another way
    ///   (`%41` for `A`, `%2f` for `%2F`, a raw `?`), the message gives the canonical spelling.
    public init(_ text: String) throws(SubjectError) {
        try self.init(text, parts: nil, attributeIsCanonical: false)
    }

    /// Validates `text`, already split at its `/` when `parts` is given; `attributeIsCanonical`
    /// when the caller made the lot or serial canonical itself.
    private init(_ text: String, parts given: [String]?, attributeIsCanonical: Bool) throws(SubjectError) {
        func fail(_ reason: String) -> SubjectError { SubjectError(subject: text, reason: reason) }
        rawValue = text
        if text == "system" {
            kind = .system
            return
        }
        let parts = given ?? GS1.pathSegments(Substring(text))
        switch parts.first {
        case "supplier", "facility":
            guard parts.count == 2 else { throw fail("expected \(parts[0])/<id> with no further '/'") }
            guard Subject.isPlainID(parts[1]) else {
                throw fail("the id must be 1–64 characters of A–Z a–z 0–9 . _ : -")
            }
            kind = parts[0] == "supplier" ? .supplier : .facility
        case "00":
            guard parts.count == 2 else { throw fail("expected 00/<SSCC-18> with no further '/'") }
            if let reason = GS1.ssccProblem(parts[1]) { throw fail(reason) }
            kind = .logisticUnit
        case "01":
            guard parts.count == 2 || parts.count == 4 else {
                throw fail("expected 01/<GTIN-14>, 01/<GTIN-14>/10/<lot> or 01/<GTIN-14>/21/<serial>")
            }
            if let reason = GS1.gtinProblem(parts[1]) { throw fail(reason) }
            if parts.count == 2 {
                kind = .model
                return
            }
            switch parts[2] {
            case "10": kind = .batch
            case "21": kind = .item
            default: throw fail("after the GTIN expected application identifier 10 (lot) or 21 (serial), got \(parts[2])")
            }
            let name = kind == .batch ? "lot" : "serial"
            if attributeIsCanonical { return }
            switch GS1.canonicalAttribute(parts[3], name: name) {
            case .failure(let problem): throw fail(problem.reason)
            case .success(let canonical) where canonical != parts[3]:
                throw fail("the \(name) is not in canonical GS1 Digital Link form; write \(parts[0..<3].joined(separator: "/"))/\(canonical)")
            case .success: break
            }
        default:
            throw fail("unknown subject kind: expected 01/<GTIN>…, 00/<SSCC>, supplier/<id>, facility/<id> or system")
        }
    }

    /// The canonical spelling of a subject written in any spelling GS1 Digital Link accepts, for
    /// callers that take identifiers from outside (a resolver canonicalizes the path of a scanned
    /// URI, after its domain and any path prefix, before looking the passport up).
    ///
    /// A GTIN-8, -12 or -13 is padded to 14 digits; a lot or serial is percent-decoded and
    /// re-encoded in canonical form (``GS1/canonicalAttribute(_:name:)``). Everything else must
    /// already be valid. ``init(_:)`` accepts only the canonical spelling this returns.
    /// - Parameter text: e.g. `01/9506000134352/21/%41%2fb`.
    /// - Returns: the subject in canonical spelling, e.g. `01/09506000134352/21/A%2Fb`.
    /// - Throws: ``SubjectError`` if no spelling of `text` is a valid subject.
    public static func canonical(_ text: String) throws(SubjectError) -> Subject {
        var parts = GS1.pathSegments(Substring(text))
        var attributeIsCanonical = false
        if parts.first == "01", parts.count == 2 || parts.count == 4 {
            let gtin = parts[1]
            if [8, 12, 13].contains(gtin.utf8.count), gtin.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                parts[1] = String(repeating: "0", count: 14 - gtin.utf8.count) + gtin
            }
            if parts.count == 4, parts[2] == "10" || parts[2] == "21" {
                switch GS1.canonicalAttribute(parts[3], name: parts[2] == "10" ? "lot" : "serial") {
                case .success(let canonical):
                    parts[3] = canonical
                    attributeIsCanonical = true
                case .failure(let e): throw SubjectError(subject: text, reason: e.reason)
                }
            }
        }
        do {
            // No part holds a '/' (a canonical lot or serial spells it %2F), so these are the parts of the joined text.
            return try Subject(parts.joined(separator: "/"), parts: parts, attributeIsCanonical: attributeIsCanonical)
        } catch {
            throw SubjectError(subject: text, reason: error.reason)
        }
    }


    static func isPlainID(_ s: String) -> Bool {
        guard (1...64).contains(s.utf8.count) else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: ":") || c == UInt8(ascii: "-")
        }
    }

    /// The GTIN of a model, batch or item subject.
    public var gtin: String? {
        guard kind == .model || kind == .batch || kind == .item else { return nil }
        return String(rawValue.split(separator: "/")[1])
    }
}

/// A malformed subject identifier.
public struct SubjectError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The identifier given.
    public let subject: String
    /// The rule it breaks.
    public let reason: String
    public var description: String { "invalid subject \"\(subject)\": \(reason)" }
}

/// GS1 identifier rules.
public enum GS1 {
    /// A path split at every `/`, empty segments kept, as `split(separator: "/")` splits its
    /// characters; ASCII text (every GS1 key in practice) is split byte by byte, which is faster.
    /// - Complexity: O(n) in the path's length.
    public static func pathSegments(_ path: Substring) -> [String] {
        guard path.utf8.allSatisfy({ $0 < 0x80 }) else { return path.split(separator: "/", omittingEmptySubsequences: false).map(String.init) }
        return path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { String(Substring($0)) }
    }

    /// Returns why `digits` is not a valid GTIN-14 (length, digits, check digit), or nil.
    public static func gtinProblem(_ digits: String) -> String? {
        let b = Array(digits.utf8)
        guard b.count == 14 else { return "a GTIN must be 14 digits (pad GTIN-8/12/13 with leading zeros), got \(b.count)" }
        guard b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return "a GTIN must contain only digits" }
        let expected = checkDigit(b.dropLast().map { Int($0 - 0x30) })
        let actual = Int(b[13] - 0x30)
        if expected != actual { return "GTIN \(digits) has check digit \(actual), expected \(expected)" }
        return nil
    }

    /// Why `digits` is not an SSCC (18 digits, the last the GS1 check digit), or nil.
    public static func ssccProblem(_ digits: String) -> String? {
        let b = Array(digits.utf8)
        guard b.count == 18, b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return "an SSCC must be 18 digits, got \(digits)" }
        let expected = checkDigit(b.dropLast().map { Int($0 - 0x30) })
        let actual = Int(b[17] - 0x30)
        if expected != actual { return "SSCC \(digits) has check digit \(actual), expected \(expected)" }
        return nil
    }

    /// The GS1 mod-10 check digit of a digit string (without its check digit).
    public static func checkDigit(_ digits: [Int]) -> Int {
        var sum = 0
        for (i, d) in digits.reversed().enumerated() { sum += d * (i % 2 == 0 ? 3 : 1) }
        return (10 - sum % 10) % 10
    }

    /// GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1).
    static let characterSet82 = Set("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".utf8)

    /// The most characters a lot (AI 10) or serial (AI 21) may have, after percent-decoding.
    public static let maxAttributeLength = 20

    /// Why a lot or serial cannot be canonicalized.
    public struct AttributeError: Error, Sendable, Equatable {
        /// The rule it breaks.
        public let reason: String
    }

    /// RFC 3986 unreserved characters that are also in character set 82: `A–Z a–z 0–9 - . _`
    /// (`~` is unreserved but not in set 82).
    static func isUnreserved(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
    }

    /// The canonical GS1 Digital Link path spelling of a lot or serial value given in any
    /// percent-encoding (hex digits of either case, encoded or raw characters).
    ///
    /// The value is percent-decoded, must be 1–20 characters of GS1 character set 82, and is
    /// re-encoded: `A–Z a–z 0–9 - . _` literal, every other character as `%` and two UPPERCASE
    /// hex digits (`ledger-formats.md` §2). So `%41%41`, `AA` give `AA`; `a/b`, `a%2fb` give `a%2Fb`.
    /// - Parameters:
    ///   - encoded: the value as it appears in a path segment.
    ///   - name: `lot` or `serial`, for messages.
    /// - Returns: the canonical spelling, or why there is none.
    public static func canonicalAttribute(_ encoded: String, name: String) -> Result<String, AttributeError> {
        guard let decoded = percentDecode(encoded) else {
            return .failure(AttributeError(reason: "the \(name) has a malformed percent-encoding (% must be followed by two hex digits; write % itself as %25)"))
        }
        if let problem = valueProblem(decoded, name: name) { return .failure(AttributeError(reason: problem)) }
        return .success(encodeAttribute(decoded))
    }

    /// The canonical path spelling of a lot or serial value as printed (not percent-encoded), as
    /// event data carries it (`item.registered`'s `lot`): `10%/B` gives `10%25%2FB`.
    /// - Returns: the encoded value, or why the value is not a valid lot or serial.
    public static func encodeAttribute(value: String, name: String) -> Result<String, AttributeError> {
        let bytes = Array(value.utf8)
        if let problem = valueProblem(bytes, name: name) { return .failure(AttributeError(reason: problem)) }
        return .success(encodeAttribute(bytes))
    }

    /// Why a decoded lot or serial is not 1–20 characters of set 82, or nil.
    static func valueProblem(_ decoded: [UInt8], name: String) -> String? {
        guard (1...maxAttributeLength).contains(decoded.count) else {
            return "the \(name) must be 1–\(maxAttributeLength) characters (counted after percent-decoding), got \(decoded.count)"
        }
        if let bad = decoded.first(where: { !characterSet82.contains($0) }) {
            let shown = bad >= 0x20 && bad < 0x7F ? "'\(Character(Unicode.Scalar(bad)))', " : ""
            return "the \(name) contains a character outside GS1 character set 82 (\(shown)byte 0x\(hex2(bad)))"
        }
        return nil
    }

    /// Percent-encodes a decoded lot or serial (characters of set 82) in canonical form.
    static func encodeAttribute(_ decoded: [UInt8]) -> String {
        var out = ""
        for c in decoded {
            if isUnreserved(c) { out.unicodeScalars.append(Unicode.Scalar(c)) } else { out += "%" + hex2(c) }
        }
        return out
    }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }

    static func percentDecode(_ s: String) -> [UInt8]? { PercentEncoding.decode(s) }

}
