/// A JSON value that keeps what it parsed: member order, and each number's literal text.
///
/// Numbers are restricted to I-JSON (RFC 7493): integers within ±2^53 and finite doubles, so that
/// every value has exactly one RFC 8785 canonical form (see ``CanonicalJSON``).
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number (I-JSON).
    case number(JSONNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object(JSONObject)

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The object, if this is an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The array, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The number, if this is a number.
    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// The JSON type name, for error messages ("string", "object", ...).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A JSON number: its literal text as written and its IEEE 754 double value.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The text as it appeared in the input (or as generated).
    public let literal: String
    /// The value as an IEEE 754 double, which is what RFC 8785 canonicalizes.
    public let double: Double

    /// The largest integer magnitude I-JSON allows: 2^53.
    public static let maxExactInteger: Double = 9_007_199_254_740_992

    /// Creates a number from an integer.
    /// - Precondition: `|value| <= 2^53`.
    public init(_ value: Int) {
        precondition(Double(value.magnitude) <= JSONNumber.maxExactInteger, "integer outside I-JSON range")
        self.literal = String(value)
        self.double = Double(value)
    }

    /// Creates a number from a finite double.
    /// - Precondition: `value.isFinite`.
    public init(_ value: Double) {
        precondition(value.isFinite, "JSON numbers must be finite")
        self.double = value
        self.literal = CanonicalJSON.formatNumber(value)
    }

    init(literal: String, double: Double) {
        self.literal = literal
        self.double = double
    }

    /// The value as an integer, if it is one exactly.
    public var intValue: Int? {
        guard double.rounded() == double, abs(double) <= JSONNumber.maxExactInteger else { return nil }
        return Int(double)
    }

    public var description: String { literal }

    public static func == (a: JSONNumber, b: JSONNumber) -> Bool { a.double == b.double }
    public func hash(into hasher: inout Hasher) { hasher.combine(double) }
}

/// A JSON object that keeps its members in input order and has unique keys.
public struct JSONObject: Sendable, Hashable, Sequence {
    /// The members in order.
    public private(set) var members: [(key: String, value: JSONValue)]

    /// An empty object.
    public init() { members = [] }

    /// Creates an object from key/value pairs.
    /// - Precondition: keys are unique.
    public init(_ pairs: KeyValuePairs<String, JSONValue>) {
        members = []
        for (k, v) in pairs { self[k] = v }
    }

    init(uniqueMembers: [(key: String, value: JSONValue)]) { members = uniqueMembers }

    /// Reads or sets a member; setting nil removes it.
    public subscript(key: String) -> JSONValue? {
        get { members.first(where: { $0.key == key })?.value }
        set {
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    /// The member names in order.
    public var keys: [String] { members.map(\.key) }
    /// The number of members.
    public var count: Int { members.count }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> { members.makeIterator() }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.members.count == b.members.count else { return false }
        for (k, v) in a.members where b[k] != v { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for (k, v) in members.sorted(by: { $0.key < $1.key }) {
            hasher.combine(k)
            hasher.combine(v)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var o = JSONObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        for (k, v) in elements { self[k] = v }
    }
}
