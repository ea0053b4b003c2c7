/// One broken rule: where, which rule, and the offending value.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    /// JSON path of the field, e.g. `event.attachments[0].sha256`.
    public let path: String
    /// The rule, in words.
    public let rule: String
    /// The offending value, shortened for display; nil when the field is missing.
    public let value: String?

    /// Creates a violation.
    public init(path: String, rule: String, value: String? = nil) {
        self.path = path
        self.rule = rule
        self.value = value.map { $0.count > 80 ? String($0.prefix(77)) + "..." : $0 }
    }

    public var description: String {
        if let value { return "\(path): \(rule) (got \(value))" }
        return "\(path): \(rule)"
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

    mutating func add(_ path: String, _ rule: String, _ value: JSONValue? = nil) {
        violations.append(Violation(path: path, rule: rule, value: value.map(Checker.show)))
    }

    static func show(_ v: JSONValue) -> String {
        if case .string(let s) = v { return "\"\(s)\"" }
        return CanonicalJSON.string(v)
    }

    mutating func string(_ o: JSONObject, _ key: String, at path: String, required: Bool = true) -> String? {
        guard let v = o[key] else {
            if required { add(path + key, "is required") }
            return nil
        }
        guard case .string(let s) = v else {
            add(path + key, "must be a string, not \(v.typeName)", v)
            return nil
        }
        return s
    }

    mutating func unknownFields(_ o: JSONObject, allowed: Set<String>, at path: String) {
        for k in o.keys where !allowed.contains(k) {
            add(path + k, "unknown field (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    mutating func timestamp(_ o: JSONObject, _ key: String, at path: String, required: Bool) -> Timestamp? {
        guard let s = string(o, key, at: path, required: required) else { return nil }
        do {
            return try Timestamp(canonical: s)
        } catch {
            add(path + key, error.reason, .string(s))
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
