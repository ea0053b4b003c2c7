import PassportModel
import Yams

/// A mapping file that cannot be used; every problem found is listed, each with its line.
public struct MappingError: Error, CustomStringConvertible, Sendable {
    /// The problems, in file order.
    public let violations: [Violation]

    /// Creates an error.
    public init(_ violations: [Violation]) { self.violations = violations }

    public var description: String {
        "invalid Debezium mapping: " + violations.map(\.description).joined(separator: "; ")
    }
}

extension DebeziumMapping {
    /// Reads a mapping file (`Specs/connectors/debezium.md` §3).
    /// - Parameter yaml: the file's text.
    /// - Throws: ``MappingError`` listing every problem: YAML syntax, unknown keys, unknown event
    ///   types or `data` members, conversions that do not exist, a missing key or subject.
    public init(yaml: String) throws(MappingError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw MappingError([Violation(code: .format, path: "", rule: "YAML", message: "not valid YAML: \(error)")])
        }
        var r = MappingReader()
        guard let root, let top = r.mapping(root, at: "") else {
            throw MappingError(r.violations.isEmpty ? [Violation(code: .required, path: "tables", rule: "required", message: "the mapping is empty: it needs tables")] : r.violations)
        }
        var tables: [TableMapping] = []
        var sawTables = false
        for (k, v) in top {
            switch k {
            case "version":
                if v.scalar?.string != "1" { r.fail("version", v, "must be 1 (the only version of this format)", code: .oneOf) }
            case "description":
                _ = r.string(v, at: "description")
            case "tables":
                sawTables = true
                guard let entries = r.mapping(v, at: "tables") else { break }
                for (name, t) in entries {
                    if let table = r.table(name, t) { tables.append(table) }
                }
            default:
                r.fail(k, v, "unknown key (allowed: description, tables, version)", code: .unknownField)
            }
        }
        if !sawTables { r.violations.append(Violation(code: .required, path: "tables", rule: "required", message: "is required: the tables to map")) }
        if !r.violations.isEmpty { throw MappingError(r.violations) }
        self.init(tables: tables)
    }
}

/// Reads YAML nodes into the mapping, collecting every violation.
struct MappingReader {
    var violations: [Violation] = []

    mutating func fail(_ path: String, _ node: Node?, _ message: String, code: Violation.Code = .invalid) {
        let line = node?.mark.map { "line \($0.line): " } ?? ""
        violations.append(Violation(code: code, path: path, rule: message, message: line + message, value: node?.scalar.map { "\"\($0.string)\"" }))
    }

    /// A mapping's entries with string keys, in order (duplicate keys are an error).
    mutating func mapping(_ node: Node, at path: String) -> [(String, Node)]? {
        guard let m = node.mapping else {
            fail(path, node, "must be a mapping (key: value lines)", code: .type)
            return nil
        }
        var out: [(String, Node)] = []
        var seen = Set<String>()
        for (k, v) in m {
            guard let key = k.scalar?.string else {
                fail(path, k, "keys must be plain text", code: .type)
                continue
            }
            if !seen.insert(key).inserted {
                fail(join(path, key), k, "appears twice")
                continue
            }
            out.append((key, v))
        }
        return out
    }

    mutating func string(_ node: Node, at path: String) -> String? {
        guard let s = node.scalar?.string else {
            fail(path, node, "must be text", code: .type)
            return nil
        }
        return s
    }

    func join(_ path: String, _ key: String) -> String {
        let k = key.contains(".") || key.contains("[") ? "[\(key)]" : key
        return path.isEmpty ? k : (k.hasPrefix("[") ? path + k : path + "." + k)
    }

    mutating func table(_ name: String, _ node: Node) -> TableMapping? {
        let path = "tables[\(name)]"
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count != 2 || parts.contains(where: \.isEmpty) {
            fail(path, node, "a table is named <schema>.<table> (PostgreSQL) or <db>.<table> (MySQL)", code: .format)
        }
        guard let entries = mapping(node, at: path) else { return nil }
        let before = violations.count
        var eventType: String?
        var key: [String] = []
        var subject: SubjectRule?
        var data: [FieldMapping] = []
        var onDelete = DeleteRule.ignore
        var dataNode: Node?
        for (k, v) in entries {
            let at = join(path, k)
            switch k {
            case "event":
                guard let t = string(v, at: at) else { break }
                if EventCatalog.spec(t) == nil {
                    fail(at, v, "unknown event type (known: \(EventCatalog.types.keys.sorted().joined(separator: ", ")))", code: .oneOf)
                }
                eventType = t
            case "key":
                if let s = v.scalar?.string {
                    key = [s]
                } else if let seq = v.sequence {
                    for (i, c) in seq.enumerated() { if let s = string(c, at: "\(at)[\(i)]") { key.append(s) } }
                } else {
                    fail(at, v, "must be a column name or a list of them", code: .type)
                }
                if key.isEmpty { fail(at, v, "needs at least one primary-key column", code: .minItems) }
            case "subject":
                subject = subjectRule(v, at: at)
            case "data":
                dataNode = v
                data = fields(v, at: at)
            case "on-delete":
                onDelete = deleteRule(v, at: at)
            default:
                fail(at, v, "unknown key (allowed: data, event, key, on-delete, subject)", code: .unknownField)
            }
        }
        if eventType == nil { violations.append(Violation(code: .required, path: join(path, "event"), rule: "required", message: "is required: the event type rows become")) }
        if entries.first(where: { $0.0 == "key" }) == nil {
            violations.append(Violation(code: .required, path: join(path, "key"), rule: "required", message: "is required: the primary-key columns"))
        }
        if subject == nil, entries.first(where: { $0.0 == "subject" }) == nil {
            violations.append(Violation(code: .required, path: join(path, "subject"), rule: "required", message: "is required: the columns that make the subject"))
        }
        if let eventType { checkFields(data, of: eventType, at: join(path, "data"), node: dataNode) }
        if case .event(let t, let d) = onDelete { checkFields(d, of: t, at: join(join(path, "on-delete"), "data"), node: nil) }
        guard violations.count == before, let eventType, let subject else { return nil }
        return TableMapping(table: name, eventType: eventType, key: key, subject: subject, data: data, onDelete: onDelete)
    }

    /// Every `data` member must be one the event type knows.
    mutating func checkFields(_ data: [FieldMapping], of type: String, at path: String, node: Node?) {
        guard let spec = EventCatalog.spec(type), case .object(let props) = spec.data else { return }
        let known = Set(props.map(\.name))
        for f in data where !known.contains(f.field) {
            fail(join(path, f.field), node, "\(type) has no data member \(f.field) (it has: \(props.map(\.name).joined(separator: ", ")))", code: .unknownField)
        }
    }

    mutating func subjectRule(_ node: Node, at path: String) -> SubjectRule? {
        guard let entries = mapping(node, at: path) else { return nil }
        var parts: [String: ValueSource] = [:]
        for (k, v) in entries {
            guard ["gtin", "lot", "serial", "supplier", "facility"].contains(k) else {
                fail(join(path, k), v, "unknown key (allowed: gtin with lot or serial, supplier, facility)", code: .unknownField)
                continue
            }
            if let s = valueSource(v, at: join(path, k)).map(\.source) { parts[k] = s }
        }
        if let gtin = parts["gtin"] {
            if parts["lot"] != nil && parts["serial"] != nil {
                fail(path, node, "a subject has a lot (a batch) or a serial (an item), not both")
                return nil
            }
            if parts["supplier"] != nil || parts["facility"] != nil {
                fail(path, node, "a GS1 subject (gtin) has no supplier or facility")
                return nil
            }
            return .gs1(gtin: gtin, lot: parts["lot"], serial: parts["serial"])
        }
        if parts["lot"] != nil || parts["serial"] != nil {
            fail(join(path, "gtin"), node, "is required with a lot or a serial", code: .required)
            return nil
        }
        switch (parts["supplier"], parts["facility"]) {
        case (let s?, nil): return .supplier(s)
        case (nil, let f?): return .facility(f)
        default:
            fail(path, node, "needs gtin (with lot or serial for a batch or item), supplier, or facility", code: .required)
            return nil
        }
    }

    mutating func fields(_ node: Node, at path: String) -> [FieldMapping] {
        guard let entries = mapping(node, at: path) else { return [] }
        return entries.compactMap { k, v in
            valueSource(v, at: join(path, k)).map { FieldMapping(field: k, source: $0.source, optional: $0.optional) }
        }
    }

    mutating func deleteRule(_ node: Node, at path: String) -> DeleteRule {
        if let s = node.scalar?.string {
            if s != "ignore" { fail(path, node, "must be ignore, or an event with its data", code: .oneOf) }
            return .ignore
        }
        guard let entries = mapping(node, at: path) else { return .ignore }
        var type: String?
        var data: [FieldMapping] = []
        for (k, v) in entries {
            switch k {
            case "event":
                type = string(v, at: join(path, k))
                if let t = type, EventCatalog.spec(t) == nil { fail(join(path, k), v, "unknown event type", code: .oneOf) }
            case "data": data = fields(v, at: join(path, k))
            default: fail(join(path, k), v, "unknown key (allowed: data, event)", code: .unknownField)
            }
        }
        guard let type else {
            fail(join(path, "event"), node, "is required: the event a deleted row becomes", code: .required)
            return .ignore
        }
        return .event(type: type, data: data)
    }

    /// `column` (text), `{column, convert?, optional?}`, or `{value}`.
    mutating func valueSource(_ node: Node, at path: String) -> (source: ValueSource, optional: Bool)? {
        if let s = node.scalar?.string { return (.column(s, []), false) }
        guard let entries = mapping(node, at: path) else { return nil }
        var column: String?
        var constant: JSONValue?
        var conversions: [Conversion] = []
        var optional = false
        for (k, v) in entries {
            let at = join(path, k)
            switch k {
            case "column": column = string(v, at: at)
            case "value": constant = json(v)
            case "convert": conversions = convert(v, at: at)
            case "optional":
                switch v.scalar?.string {
                case "true": optional = true
                case "false": optional = false
                default: fail(at, v, "must be true or false", code: .type)
                }
            default: fail(at, v, "unknown key (allowed: column, convert, optional, value)", code: .unknownField)
            }
        }
        switch (column, constant) {
        case (let c?, nil): return (.column(c, conversions), optional)
        case (nil, let v?):
            if !conversions.isEmpty { fail(path, node, "a constant value takes no convert") }
            return (.constant(v), false)
        case (nil, nil):
            fail(path, node, "needs a column or a value", code: .required)
            return nil
        default:
            fail(path, node, "takes a column or a value, not both")
            return nil
        }
    }

    static let namedConversions: [String: Conversion] = ["integer": .integer, "number": .number, "string": .string]

    mutating func convert(_ node: Node, at path: String) -> [Conversion] {
        if let seq = node.sequence {
            return seq.enumerated().flatMap { i, step in convert(step, at: "\(path)[\(i)]") }
        }
        if let s = node.scalar?.string {
            guard let c = MappingReader.namedConversions[s] else {
                fail(path, node, "unknown conversion (named: integer, number, string; with a parameter: codes, date, decimal, divide, multiply, prefix, timestamp)", code: .oneOf)
                return []
            }
            return [c]
        }
        guard let entries = mapping(node, at: path), entries.count == 1, let (k, v) = entries.first else {
            fail(path, node, "a conversion with a parameter is one key: value (e.g. {divide: 1000}); list several as a sequence")
            return []
        }
        let at = join(path, k)
        switch k {
        case "multiply", "divide":
            guard let d = v.scalar.flatMap({ Double($0.string) }), d.isFinite, d != 0 else {
                fail(at, v, "must be a non-zero number", code: .type)
                return []
            }
            return [k == "multiply" ? .multiply(d) : .divide(d)]
        case "date", "timestamp":
            guard let e = v.scalar.flatMap({ TimeEncoding(rawValue: $0.string) }) else {
                fail(at, v, "must be one of \(TimeEncoding.allCases.map(\.rawValue).joined(separator: ", "))", code: .oneOf)
                return []
            }
            if k == "timestamp" && e == .epochDays {
                fail(at, v, "epoch-days is a date, not a timestamp", code: .oneOf)
                return []
            }
            return [k == "date" ? .date(e) : .timestamp(e)]
        case "prefix":
            guard let p = string(v, at: at) else { return [] }
            return [.prefix(p)]
        case "decimal":
            let scaleNode = v.mapping.flatMap { m in m.first(where: { $0.key.scalar?.string == "scale" })?.value } ?? v
            guard let scale = scaleNode.scalar.flatMap({ Int($0.string) }), (0...18).contains(scale) else {
                fail(at, v, "needs the column's scale, 0–18 (e.g. {decimal: {scale: 2}})", code: .type)
                return []
            }
            return [.decimal(scale: scale)]
        case "codes":
            guard let codes = mapping(v, at: at) else { return [] }
            var table: [String: JSONValue] = [:]
            for (code, value) in codes { table[code] = json(value) }
            if table.isEmpty { fail(at, v, "needs at least one code", code: .minItems) }
            return [.codes(table)]
        default:
            fail(at, v, "unknown conversion (with a parameter: codes, date, decimal, divide, multiply, prefix, timestamp)", code: .oneOf)
            return []
        }
    }

    /// A YAML value as JSON: plain scalars `null`/`~`, `true`/`false` and numbers are typed, any
    /// quoted scalar is text; sequences and mappings convert member by member.
    mutating func json(_ node: Node) -> JSONValue {
        if let scalar = node.scalar {
            let s = scalar.string
            guard scalar.style == .plain else { return .string(s) }
            switch s {
            case "null", "~", "": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: break
            }
            if let i = Int(s), Double(i.magnitude) <= JSONNumber.maxExactInteger { return .number(JSONNumber(i)) }
            if s.first.map({ $0.isNumber || $0 == "-" }) == true, let d = Double(s), d.isFinite { return .number(JSONNumber(d)) }
            return .string(s)
        }
        if let seq = node.sequence { return .array(seq.map { json($0) }) }
        if let m = node.mapping {
            var o = JSONObject()
            for (k, v) in m { if let key = k.scalar?.string { o[key] = json(v) } }
            return .object(o)
        }
        return .null
    }
}
