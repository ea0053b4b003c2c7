/// One broken rule: a stable code, where (as a JSON Pointer into the input), the rule, the
/// offending value (bounded) and a message a person can act on (`Specs/ledger-formats.md` §7).
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable violation code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A required member is missing.
        public static let required = Code(rawValue: "required")
        /// A member has the wrong JSON type.
        public static let type = Code(rawValue: "type")
        /// A member the schema does not know.
        public static let unknownField = Code(rawValue: "unknown-field")
        /// A string too short or too long (in characters or bytes).
        public static let length = Code(rawValue: "length")
        /// A value outside an enumeration.
        public static let oneOf = Code(rawValue: "one-of")
        /// A string not in its format (GTIN, CAS, country, subject, timestamp, …).
        public static let format = Code(rawValue: "format")
        /// A number below its minimum.
        public static let minimum = Code(rawValue: "minimum")
        /// A number above its maximum.
        public static let maximum = Code(rawValue: "maximum")
        /// An array with too few items.
        public static let minItems = Code(rawValue: "min-items")
        /// A rule of the event type beyond its schema (sums, validity, lifecycle, …).
        public static let rule = Code(rawValue: "rule")
        /// Any other broken rule.
        public static let invalid = Code(rawValue: "invalid")
    }

    /// The violation's code.
    public let code: Code
    /// Dotted path of the field as people read it, e.g. `data.lines[0].quantity`.
    public let path: String
    /// The rule, tersely (`maximum 100`, `owner plm`, `required`).
    public let rule: String
    /// What is wrong, in words a person can act on (`must be at most 100`).
    public let message: String
    /// The offending value, shortened for display; nil when the field is missing.
    public let value: String?

    /// Longest value kept in a violation, in characters.
    public static let maxValueLength = 80

    /// Creates a violation.
    /// - Parameters:
    ///   - code: the stable code (default ``Code/invalid``).
    ///   - path: the dotted path of the field.
    ///   - rule: the rule tersely; defaults to `message`.
    ///   - message: what is wrong, as a sentence fragment (`must be at most 100`).
    ///   - value: the offending value as shown to people (bounded to ``maxValueLength``).
    public init(code: Code = .invalid, path: String, rule: String? = nil, message: String, value: String? = nil) {
        self.code = code
        self.path = path
        self.rule = rule ?? message
        self.message = message
        self.value = value.map { $0.count > Violation.maxValueLength ? String($0.prefix(Violation.maxValueLength - 3)) + "..." : $0 }
    }

    /// Creates a violation whose rule and message are the same words.
    public init(code: Code = .invalid, path: String, rule: String, value: String? = nil) {
        self.init(code: code, path: path, rule: rule, message: rule, value: value)
    }

    /// The field as an RFC 6901 JSON Pointer into the input (`/data/lines/0/quantity`; `""` for
    /// the whole input).
    public var pointer: String { Violation.pointer(path) }

    /// Converts a dotted path with `[n]` indexes into a JSON Pointer.
    public static func pointer(_ path: String) -> String {
        guard !path.isEmpty else { return "" }
        var out = ""
        var token = ""
        func flush() {
            out += "/" + token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            token = ""
        }
        var inIndex = false
        for c in path {
            switch c {
            case "." where !inIndex:
                if !token.isEmpty { flush() }
            case "[" where !inIndex:
                if !token.isEmpty { flush() }
                inIndex = true
            case "]" where inIndex:
                flush()
                inIndex = false
            default: token.append(c)
            }
        }
        if !token.isEmpty { flush() }
        return out
    }

    public var description: String {
        let at = path.isEmpty ? "" : "\(path): "
        // A value the message already names (a key, a field) is not repeated.
        if let value, value.count < 6 || !message.contains(value) { return "\(at)\(message) (got \(value))" }
        return at + message
    }

    /// The violation as JSON: `code`, `pointer`, `rule`, `message` and, if known, `value`.
    public var json: JSONValue {
        var o: JSONObject = ["code": .string(code.rawValue), "pointer": .string(pointer), "rule": .string(rule), "message": .string(message)]
        if let value { o["value"] = .string(value) }
        return .object(o)
    }

    /// Reads a violation back from ``json``.
    public init?(json: JSONValue) {
        guard let o = json.objectValue, let code = o["code"]?.stringValue, let pointer = o["pointer"]?.stringValue,
            let message = o["message"]?.stringValue
        else { return nil }
        self.init(code: Code(rawValue: code), path: Violation.path(pointer), rule: o["rule"]?.stringValue, message: message, value: o["value"]?.stringValue)
    }

    /// The dotted path of a JSON Pointer (the inverse of ``pointer(_:)`` for the paths dpp writes).
    static func path(_ pointer: String) -> String {
        var out = ""
        for t in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let token = t.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if !token.isEmpty, token.allSatisfy(\.isNumber) { out += "[\(token)]" } else { out += out.isEmpty ? token : "." + token }
        }
        return out
    }
}

/// Input that breaks one or more rules; every violation found is listed.
public struct ValidationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// All violations, in the order found.
    public let violations: [Violation]

    /// Creates an error from violations.
    public init(_ violations: [Violation]) { self.violations = violations }

    public var description: String { violations.map(\.description).joined(separator: "; ") }
}

/// Collects violations while checking a JSON object.
struct Checker {
    var violations: [Violation] = []

    mutating func add(_ path: String, _ rule: String, _ value: JSONValue? = nil, code: Violation.Code = .invalid, terse: String? = nil) {
        violations.append(Violation(code: code, path: path, rule: terse, message: rule, value: value.map(Checker.show)))
    }

    static func show(_ v: JSONValue) -> String {
        if case .string(let s) = v { return "\"\(s)\"" }
        return CanonicalJSON.string(v)
    }

    mutating func string(_ o: JSONObject, _ key: String, at path: String, required: Bool = true) -> String? {
        guard let v = o[key] else {
            if required { add(path + key, "is required", code: .required, terse: "required") }
            return nil
        }
        guard case .string(let s) = v else {
            add(path + key, "must be a string, not \(v.typeName)", v, code: .type, terse: "type string")
            return nil
        }
        return s
    }

    mutating func unknownFields(_ o: JSONObject, allowed: Set<String>, at path: String) {
        for k in o.keys where !allowed.contains(k) {
            add(path + k, "unknown field (allowed: \(allowed.sorted().joined(separator: ", ")))", code: .unknownField, terse: "unknown field")
        }
    }

    mutating func timestamp(_ o: JSONObject, _ key: String, at path: String, required: Bool) -> Timestamp? {
        guard let s = string(o, key, at: path, required: required) else { return nil }
        do {
            return try Timestamp(canonical: s)
        } catch {
            add(path + key, error.reason, .string(s), code: .format, terse: "RFC 3339 timestamp")
            return nil
        }
    }

    func finish() throws(ValidationError) {
        if !violations.isEmpty { throw ValidationError(violations) }
    }
}

extension Violation {
    /// How a value is shown in a violation: strings quoted, anything else as canonical JSON.
    public static func show(_ v: JSONValue) -> String { Checker.show(v) }
}
