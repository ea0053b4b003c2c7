/// A subject identifier: what a stream of events is about (DESIGN §8).
///
/// - `01/<GTIN-14>`: a product model; `01/<GTIN-14>/10/<lot>`: a batch;
///   `01/<GTIN-14>/21/<serial>`: an item (GS1 Digital Link path syntax, check digit verified,
///   lot and serial from GS1 character set 82, at most 20 characters, percent-encoded where needed);
/// - `supplier/<id>`, `facility/<id>`: `<id>` is 1–64 of `A–Z a–z 0–9 . _ : -`;
/// - `system`: the ledger's own governance stream.
public struct Subject: Sendable, Hashable, CustomStringConvertible {
    /// The kinds of subject.
    public enum Kind: String, Sendable {
        /// `01/<GTIN>`, `…/10/<lot>`, `…/21/<serial>`, `supplier/<id>`, `facility/<id>`, `system`.
        case model, batch, item, supplier, facility, system
    }

    /// The identifier as text.
    public let rawValue: String
    /// What kind of subject this is.
    public let kind: Kind

    public var description: String { rawValue }

    /// The `system` subject.
    public static let system = try! Subject("system")

    /// Validates a subject identifier.
    /// - Throws: ``SubjectError`` naming the rule broken.
    public init(_ text: String) throws(SubjectError) {
        func fail(_ reason: String) -> SubjectError { SubjectError(subject: text, reason: reason) }
        rawValue = text
        if text == "system" {
            kind = .system
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "supplier", "facility":
            guard parts.count == 2 else { throw fail("expected \(parts[0])/<id> with no further '/'") }
            guard Subject.isPlainID(parts[1]) else {
                throw fail("the id must be 1–64 characters of A–Z a–z 0–9 . _ : -")
            }
            kind = parts[0] == "supplier" ? .supplier : .facility
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
            if let reason = GS1.attributeProblem(parts[3], name: kind == .batch ? "lot" : "serial") {
                throw fail(reason)
            }
        default:
            throw fail("unknown subject kind: expected 01/<GTIN>…, supplier/<id>, facility/<id> or system")
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

    /// The GS1 mod-10 check digit of a digit string (without its check digit).
    public static func checkDigit(_ digits: [Int]) -> Int {
        var sum = 0
        for (i, d) in digits.reversed().enumerated() { sum += d * (i % 2 == 0 ? 3 : 1) }
        return (10 - sum % 10) % 10
    }

    /// GS1 AI encodable character set 82.
    static let characterSet82 = Set("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".utf8)

    /// Returns why a percent-encoded lot or serial value is invalid, or nil.
    public static func attributeProblem(_ encoded: String, name: String) -> String? {
        guard let decoded = percentDecode(encoded) else { return "the \(name) has a malformed percent-encoding" }
        guard (1...20).contains(decoded.count) else { return "the \(name) must be 1–20 characters, got \(decoded.count)" }
        if let bad = decoded.first(where: { !characterSet82.contains($0) }) {
            return "the \(name) contains a character outside GS1 character set 82 (byte 0x\(String(bad, radix: 16)))"
        }
        return nil
    }

    static func percentDecode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else {
                    return nil
                }
                out.append(v)
                it = it.dropFirst(2)
            } else {
                out.append(c)
            }
        }
        return out
    }
}
