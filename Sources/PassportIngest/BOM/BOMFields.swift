import PassportModel

/// The fields of one record of an input file (an assembly, a BoM line, a CSV row) with the path
/// that names each in a violation, read into typed values; every problem becomes a violation.
struct FieldSet {
    /// The values by field name (JSON values; a CSV cell is a string).
    let values: [String: JSONValue]
    /// The path of a field in a violation (`assemblies[0].lines[2].massKg`, `line 4: massKg`).
    let path: (String) -> String
    /// Whether values are text to parse (CSV) rather than typed JSON.
    let textual: Bool
    /// Whether numbers are written with a decimal comma.
    var decimalComma = false

    /// The value of a field; JSON null and empty (or blank) text count as missing.
    func raw(_ name: String) -> JSONValue? {
        switch values[name] {
        case nil, .null?: return nil
        case .string(let s)? where s.trimmingWhitespace.isEmpty: return nil
        case let v?: return v
        }
    }
}

/// Collects violations while fields are read.
struct FieldReader {
    var violations: [Violation] = []

    mutating func fail(_ code: Violation.Code, _ path: String, _ rule: String, message: String? = nil, value: String? = nil) {
        violations.append(Violation(code: code, path: path, rule: rule, message: message ?? rule, value: value))
    }

    mutating func missing(_ f: FieldSet, _ name: String, _ why: String) {
        fail(.required, f.path(name), "required", message: "is required: \(why)")
    }

    /// Text, trimmed; a number is refused in JSON (write it as a string).
    mutating func text(_ f: FieldSet, _ name: String, required why: String? = nil) -> String? {
        guard let v = f.raw(name) else {
            if let why { missing(f, name, why) }
            return nil
        }
        guard case .string(let s) = v else {
            fail(.type, f.path(name), "type string", message: "must be text (a JSON string)", value: CanonicalJSON.string(v))
            return nil
        }
        // A spreadsheet cell may hold line breaks (a quoted CSV field): they become spaces.
        let t = (f.textual ? s.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" || $0 == "\t" }).joined(separator: " ") : s).trimmingWhitespace
        if t.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            fail(.format, f.path(name), "no control characters", message: "must not contain control characters (line breaks, tabs)", value: CanonicalJSON.string(.string(t)))
            return nil
        }
        return t
    }

    /// A number: a JSON number, or in CSV decimal text.
    mutating func number(_ f: FieldSet, _ name: String, required why: String? = nil, percent: Bool = false) -> Double? {
        guard let v = f.raw(name) else {
            if let why { missing(f, name, why) }
            return nil
        }
        switch v {
        case .number(let n): return n.double
        case .string(let s) where f.textual:
            if let d = FileInputs.number(s, decimalComma: f.decimalComma, percent: percent) { return d }
            fail(.format, f.path(name), "format number", message: "is not a number (write digits with \(f.decimalComma ? "a decimal comma" : "a decimal point") and no thousands separators)", value: FileInputs.show(s))
        default:
            fail(.type, f.path(name), "type number", message: "must be a number", value: CanonicalJSON.string(v))
        }
        return nil
    }

    /// A time: a date or an RFC 3339 date-time, in canonical form.
    mutating func time(_ f: FieldSet, _ name: String, required why: String? = nil) -> String? {
        guard let t = text(f, name, required: why) else { return nil }
        switch FileInputs.time(t) {
        case .success(let ts): return ts.description
        case .failure(let rule):
            fail(.format, f.path(name), "format time", message: "is not a time: \(rule.text)", value: FileInputs.show(t))
            return nil
        }
    }

    /// A subject read by `parse` (a model or a supplier).
    mutating func subject(_ f: FieldSet, _ name: String, required why: String? = nil, _ parse: (String) -> Result<String, FileInputs.Rule>) -> String? {
        guard let t = text(f, name, required: why) else { return nil }
        switch parse(t) {
        case .success(let s): return s
        case .failure(let rule):
            fail(.format, f.path(name), "format subject", message: rule.text, value: FileInputs.show(t))
            return nil
        }
    }

    /// Refuses fields outside `allowed`.
    mutating func onlyKnown(_ f: FieldSet, _ allowed: [String]) {
        for k in f.values.keys.sorted() where !allowed.contains(k) {
            fail(.unknownField, f.path(k), "unknown field", message: "unknown field (allowed: \(allowed.joined(separator: ", ")))")
        }
    }
}
