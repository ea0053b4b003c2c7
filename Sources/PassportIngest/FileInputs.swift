import Foundation
import PassportLedger
import PassportModel
import Sodium

/// Values read from files that people and spreadsheets write (BoM exports, CSV attestations,
/// document metadata): dates, numbers and subjects, each answered with the rule it breaks.
public enum FileInputs {
    /// The rule a value breaks, in words.
    public struct Rule: Error, Sendable, Hashable {
        /// The rule.
        public let text: String
        /// Creates a rule.
        public init(_ text: String) { self.text = text }
    }

    /// The largest input item kept whole in quarantine: a BoM export, a CSV row (1 MiB).
    public static let maxQuarantinedInput = 1 << 20

    /// The accepted forms of a time, for messages.
    public static let timeForms = "a date YYYY-MM-DD (its midnight UTC) or an RFC 3339 date-time"

    /// A date `YYYY-MM-DD` (its midnight UTC) or any RFC 3339 date-time.
    /// - Returns: the time, or the rule `text` breaks.
    public static func time(_ text: String) -> Result<Timestamp, Rule> {
        let t = text.trimmingWhitespace
        let isDate = t.utf8.count == 10 && t.utf8.enumerated().allSatisfy { i, c in (i == 4 || i == 7) ? c == UInt8(ascii: "-") : (0x30...0x39).contains(c) }
        do { return .success(try Timestamp(rfc3339: isDate ? t + "T00:00:00Z" : t)) } catch {
            return .failure(Rule("\(error.reason); accepted: \(timeForms)"))
        }
    }

    /// A decimal number as text: digits with an optional sign, fraction and exponent; with
    /// `decimalComma` the fraction is separated by `,` instead of `.`. A trailing `%` is allowed
    /// when `percent` is set. Thousands separators are refused (they are ambiguous).
    /// - Returns: the number, or nil if `text` is not one.
    public static func number(_ text: String, decimalComma: Bool = false, percent: Bool = false) -> Double? {
        var t = text.trimmingWhitespace
        if percent, t.hasSuffix("%") { t = String(t.dropLast()).trimmingWhitespace }
        if decimalComma {
            guard !t.contains(".") else { return nil }
            t = t.replacingOccurrences(of: ",", with: ".")
        }
        // Only plain decimal notation: no hex, no inf/nan, no thousands separators.
        guard !t.isEmpty, t.allSatisfy({ "0123456789+-.eE".contains($0) }), let d = Double(t), d.isFinite else { return nil }
        return d
    }

    /// A number as JSON (integers without a fraction).
    public static func json(_ d: Double) -> JSONValue {
        if d == d.rounded(), abs(d) < 9_007_199_254_740_992 { return .number(JSONNumber(Int(d))) }
        return .number(JSONNumber(d))
    }

    /// A supplier subject from `supplier/<id>` or a bare `<id>`.
    /// - Returns: the subject, or the rule the text breaks.
    public static func supplier(_ text: String) -> Result<String, Rule> {
        let t = text.trimmingWhitespace
        let s = t.hasPrefix("supplier/") ? t : "supplier/" + t
        guard let subject = try? Subject(s), subject.kind == .supplier else {
            return .failure(Rule("a supplier is supplier/<id> or its <id>: 1–64 of A–Z a–z 0–9 . _ : -"))
        }
        return .success(subject.rawValue)
    }

    /// A product model subject from `01/<GTIN>` or a bare GTIN-8/12/13/14.
    /// - Returns: the subject, or the rule the text breaks.
    public static func model(_ text: String) -> Result<String, Rule> {
        let t = text.trimmingWhitespace
        let digits = t.hasPrefix("01/") ? String(t.dropFirst(3)) : t
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
            return .failure(Rule("a product model is 01/<GTIN> or its GTIN (8, 12, 13 or 14 digits)"))
        }
        do {
            let s = try Subject.canonical("01/" + digits)
            guard s.kind == .model else { return .failure(Rule("must be a product model 01/<GTIN>")) }
            return .success(s.rawValue)
        } catch {
            return .failure(Rule(error.reason))
        }
    }

    /// A value as shown in a violation (quoted text).
    static func show(_ text: String) -> String { "\"\(text)\"" }

    /// The submission of an input too large to keep whole: rejected `too-large` naming the limit,
    /// quarantine keeps its first 4,096 bytes with its length and SHA-256 (it can only be discarded).
    static func tooLarge(_ bytes: [UInt8], what: String, origin: String, intake: JSONObject, limit: Int = maxQuarantinedInput) -> Submission {
        Submission(
            raw: Array(bytes.prefix(4096)), origin: origin, intake: intake,
            content: .failure(LedgerError(
                .tooLarge, "\(what) is \(bytes.count) bytes; at most \(limit) bytes (1 MiB) are accepted, so that a rejected one can be kept whole in quarantine — split it (one assembly or fewer rows per file)")),
            truncated: TruncatedInput(length: bytes.count, sha256: SHA256.hash(bytes)))
    }
}
