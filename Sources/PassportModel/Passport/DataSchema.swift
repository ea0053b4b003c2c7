/// A small schema language for event `data`: one definition both validates in Swift (naming
/// the field path, the rule and the value of every violation) and is published as JSON Schema,
/// so the two can never drift apart.
public indirect enum DataSchema: Sendable {
    /// A string, optionally constrained.
    case string(StringRule)
    /// A number (integer or decimal) within optional bounds.
    case number(minimum: Double?, maximum: Double?)
    /// An integer within optional bounds.
    case integer(minimum: Int?, maximum: Int?)
    /// true or false.
    case boolean
    /// An array of items.
    case array(DataSchema, minItems: Int)
    /// An object with known properties; unknown ones are rejected.
    case object([Property])
    /// Any JSON object (free-form extension data).
    case anyObject
    /// Any JSON value.
    case any

    /// A property of an object schema.
    public struct Property: Sendable {
        /// Member name.
        public let name: String
        /// Its schema.
        public let schema: DataSchema
        /// Whether it must be present.
        public let required: Bool
        /// What it means.
        public let description: String

        /// Creates a property.
        public init(_ name: String, _ schema: DataSchema, required: Bool = false, _ description: String = "") {
            self.name = name
            self.schema = schema
            self.required = required
            self.description = description
        }
    }

    /// Constraints on a string.
    public struct StringRule: Sendable {
        /// Minimum length in characters (Unicode scalars, as JSON Schema counts them).
        public var minLength = 1
        /// Maximum length in characters (Unicode scalars, as JSON Schema counts them).
        public var maxLength = 1024
        /// Maximum length in UTF-8 bytes, where the value goes into a storage key.
        public var maxBytes: Int?
        /// Allowed values, if an enumeration.
        public var allowed: [String]?
        /// A semantic format checked beyond the JSON Schema pattern.
        public var format: Format?

        /// Creates a rule.
        public init(minLength: Int = 1, maxLength: Int = 1024, maxBytes: Int? = nil, allowed: [String]? = nil, format: Format? = nil) {
            self.minLength = minLength
            self.maxLength = maxLength
            self.maxBytes = maxBytes
            self.allowed = allowed
            self.format = format
        }
    }

    /// Semantic string formats.
    public enum Format: String, Sendable {
        /// GTIN-8/12/13/14 with a valid check digit.
        case gtin
        /// GS1 Global Location Number: 13 digits with a valid check digit.
        case gln
        /// CAS Registry Number `NNNNNNN-NN-N` with a valid check digit.
        case cas
        /// ISO 3166-1 alpha-2 country code.
        case country
        /// A passport subject identifier, in its canonical spelling.
        case subject
        /// A GS1 lot or serial as printed (not percent-encoded): 1–20 characters of character set 82.
        case lot
        /// A calendar date `YYYY-MM-DD`.
        case date
        /// An RFC 3339 timestamp.
        case timestamp
        /// 64 lowercase hex digits.
        case sha256
    }

    /// Shorthand: a free string.
    public static let text = DataSchema.string(StringRule())
    /// Shorthand: an identifier that names a collection entry (at most 64 UTF-8 bytes, so the
    /// passport index key stays within LMDB's key size whatever the characters).
    public static let identifier = DataSchema.string(StringRule(maxLength: 64, maxBytes: 64))
    /// Shorthand: a non-negative number.
    public static let nonNegative = DataSchema.number(minimum: 0, maximum: nil)
    /// Shorthand: a percentage 0–100.
    public static let percent = DataSchema.number(minimum: 0, maximum: 100)
    /// Shorthand: a string of a format.
    public static func formatted(_ f: Format) -> DataSchema { .string(StringRule(format: f)) }
    /// Shorthand: one of some strings.
    public static func oneOf(_ values: [String]) -> DataSchema { .string(StringRule(allowed: values)) }

    /// Checks `value`, appending every violation found.
    public func validate(_ value: JSONValue, at path: String, into violations: inout [Violation]) {
        func add(_ code: Violation.Code, _ rule: String, _ message: String) {
            violations.append(Violation(code: code, path: path, rule: rule, message: message, value: Checker.show(value)))
        }
        switch self {
        case .string(let rule):
            guard case .string(let s) = value else { return add(.type, "type string", "must be a string, not \(value.typeName)") }
            let length = s.unicodeScalars.count
            if length < rule.minLength || length > rule.maxLength {
                return add(.length, "length \(rule.minLength)–\(rule.maxLength)", "must be \(rule.minLength)–\(rule.maxLength) characters")
            }
            if let maxBytes = rule.maxBytes, s.utf8.count > maxBytes {
                return add(.length, "maxBytes \(maxBytes)", "must be at most \(maxBytes) bytes in UTF-8 (this is \(s.utf8.count))")
            }
            if let allowed = rule.allowed, !allowed.contains(s) {
                return add(.oneOf, "one of \(allowed.joined(separator: ", "))", "must be one of \(allowed.joined(separator: ", "))")
            }
            if let f = rule.format, let problem = Formats.problem(s, f) { add(.format, "format \(f.rawValue)", problem) }
        case .number(let min, let max):
            guard case .number(let n) = value else { return add(.type, "type number", "must be a number, not \(value.typeName)") }
            if let min, n.double < min {
                add(.minimum, "minimum \(CanonicalJSON.formatNumber(min))", min == 0 ? "must not be negative" : "must be at least \(CanonicalJSON.formatNumber(min))")
            }
            if let max, n.double > max { add(.maximum, "maximum \(CanonicalJSON.formatNumber(max))", "must be at most \(CanonicalJSON.formatNumber(max))") }
        case .integer(let min, let max):
            guard case .number(let n) = value, let i = n.intValue else { return add(.type, "type integer", "must be an integer") }
            if let min, i < min { add(.minimum, "minimum \(min)", "must be at least \(min)") }
            if let max, i > max { add(.maximum, "maximum \(max)", "must be at most \(max)") }
        case .boolean:
            guard case .bool = value else { return add(.type, "type boolean", "must be true or false") }
        case .array(let item, let minItems):
            guard case .array(let items) = value else { return add(.type, "type array", "must be an array, not \(value.typeName)") }
            if items.count < minItems { add(.minItems, "minItems \(minItems)", "must have at least \(minItems) item\(minItems == 1 ? "" : "s")") }
            for (i, v) in items.enumerated() { item.validate(v, at: "\(path)[\(i)]", into: &violations) }
        case .object(let properties):
            guard case .object(let o) = value else { return add(.type, "type object", "must be an object, not \(value.typeName)") }
            let prefix = path.isEmpty ? "" : path + "."
            for m in o.members where !properties.contains(where: { $0.name == m.key }) {
                violations.append(Violation(
                    code: .unknownField, path: prefix + m.key, rule: "unknown field",
                    message: "unknown field (allowed: \(properties.map(\.name).sorted().joined(separator: ", ")))"))
            }
            for p in properties {
                if let v = o[p.name] {
                    p.schema.validate(v, at: prefix + p.name, into: &violations)
                } else if p.required {
                    violations.append(Violation(code: .required, path: prefix + p.name, rule: "required", message: "is required"))
                }
            }
        case .anyObject:
            guard case .object = value else { return add(.type, "type object", "must be an object, not \(value.typeName)") }
        case .any:
            return
        }
    }

    /// The JSON Schema (draft 2020-12) of this schema.
    public var jsonSchema: JSONValue {
        switch self {
        case .string(let rule):
            var o: JSONObject = ["type": "string"]
            if let allowed = rule.allowed {
                o["enum"] = .array(allowed.map { .string($0) })
            } else {
                o["minLength"] = .number(JSONNumber(rule.minLength))
                o["maxLength"] = .number(JSONNumber(rule.maxLength))
            }
            if let maxBytes = rule.maxBytes { o["description"] = .string("at most \(maxBytes) bytes in UTF-8") }
            if let f = rule.format {
                o["pattern"] = .string(Formats.pattern(f))
                o["description"] = .string(Formats.describe(f))
            }
            return .object(o)
        case .number(let min, let max):
            var o: JSONObject = ["type": "number"]
            if let min { o["minimum"] = .number(JSONNumber(min)) }
            if let max { o["maximum"] = .number(JSONNumber(max)) }
            return .object(o)
        case .integer(let min, let max):
            var o: JSONObject = ["type": "integer"]
            if let min { o["minimum"] = .number(JSONNumber(min)) }
            if let max { o["maximum"] = .number(JSONNumber(max)) }
            return .object(o)
        case .boolean:
            return ["type": "boolean"]
        case .array(let item, let minItems):
            var o: JSONObject = ["type": "array", "items": item.jsonSchema]
            if minItems > 0 { o["minItems"] = .number(JSONNumber(minItems)) }
            return .object(o)
        case .object(let properties):
            var props = JSONObject()
            for p in properties {
                var s = p.schema.jsonSchema
                if !p.description.isEmpty, case .object(var o) = s, o["description"] == nil {
                    o["description"] = .string(p.description)
                    s = .object(o)
                }
                props[p.name] = s
            }
            var o: JSONObject = ["type": "object", "additionalProperties": false, "properties": .object(props)]
            let required = properties.filter(\.required).map { JSONValue.string($0.name) }
            if !required.isEmpty { o["required"] = .array(required) }
            return .object(o)
        case .anyObject:
            return ["type": "object"]
        case .any:
            return [:]
        }
    }
}
