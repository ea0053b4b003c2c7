import PassportModel

/// Turns Debezium change events into unsigned passport events, one result per input record
/// (`Specs/connectors/debezium.md`). Pure: it reads row states from a ``CDCStateStore`` and
/// returns the state to record with each event; it writes nothing itself.
public struct DebeziumMapper: Sendable {
    /// The mapping it applies.
    public let mapping: DebeziumMapping
    /// Whether each event is checked against its type (``EventCatalog``) before it is returned,
    /// so that a bad value is rejected naming its column (default true).
    public var validatesEvents = true

    /// The `source` the check puts in an event (the appender puts its own).
    static let checkSource = "debezium"

    /// Creates a mapper.
    public init(mapping: DebeziumMapping) { self.mapping = mapping }

    /// Maps one Kafka record value given as JSON text (one line of a JSON Lines file).
    /// - Parameters:
    ///   - bytes: the record's value; `null` is a tombstone.
    ///   - input: where it came from (file and line, or partition and offset), for the result.
    ///   - state: the row states so far.
    /// - Throws: only what the state store throws; bad input is a ``DebeziumResult/Outcome/reject(_:)``.
    public func map(_ bytes: some Collection<UInt8>, input: String, state: some CDCStateStore) throws -> DebeziumResult {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, largeIntegers: .keepLiteral)
        } catch {
            return DebeziumResult(input: input, outcome: .reject([Violation(
                code: Violation.Code(rawValue: "malformed-json"), path: "", rule: "JSON text (RFC 8259)", message: "not valid JSON: \(error.description)")]))
        }
        return try map(value, input: input, state: state)
    }

    /// Maps one record value, and records the state of the row if it became an event (for a
    /// caller that appends every event it gets, like tests, or keeps state only in memory).
    /// - Throws: only what the state store throws.
    public func apply(_ bytes: some Collection<UInt8>, input: String, state: inout some CDCStateStore) throws -> DebeziumResult {
        let result = try map(bytes, input: input, state: state)
        if case .event(_, let row, let s) = result.outcome { try state.record(row, s) }
        return result
    }

    /// Maps one parsed record value.
    /// - Throws: only what the state store throws.
    public func map(_ value: JSONValue, input: String, state: some CDCStateStore) throws -> DebeziumResult {
        try map(value, input: input, state: state, deferringCheck: false).result
    }

    /// The check of a mapped event against its type, left for later (to run on another core): its
    /// violations name the source columns, as the mapper's own check does.
    public struct DeferredCheck: Sendable {
        let row: RowContext
        let fields: [FieldMapping]

        /// The event's violations, located at their columns; empty if it is valid.
        public func violations(_ event: JSONObject) -> [Violation] {
            DebeziumMapper.check(event).map { row.locate($0, fields: fields) }
        }
    }

    /// Maps one record value given as JSON text, leaving the check of the event against its type
    /// to the caller (``DeferredCheck``), so that a pipeline can run it on all cores.
    /// - Throws: only what the state store throws.
    public func mapDeferringCheck(_ bytes: some Collection<UInt8>, input: String, state: some CDCStateStore) throws -> (result: DebeziumResult, check: DeferredCheck?) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, largeIntegers: .keepLiteral)
        } catch {
            return (try map(bytes, input: input, state: state), nil)
        }
        return try map(value, input: input, state: state, deferringCheck: true)
    }

    /// Maps one parsed record value, leaving the check of the event to the caller.
    /// - Throws: only what the state store throws.
    public func mapDeferringCheck(_ value: JSONValue, input: String, state: some CDCStateStore) throws -> (result: DebeziumResult, check: DeferredCheck?) {
        try map(value, input: input, state: state, deferringCheck: true)
    }

    /// Parses a record value as the mapper reads it (large integers kept as written).
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
        try JSONParser.parse(bytes, largeIntegers: .keepLiteral)
    }

    func map(_ value: JSONValue, input: String, state: some CDCStateStore, deferringCheck: Bool) throws -> (result: DebeziumResult, check: DeferredCheck?) {
        func done(_ outcome: DebeziumResult.Outcome) -> (result: DebeziumResult, check: DeferredCheck?) { (DebeziumResult(input: input, outcome: outcome), nil) }
        let envelope: DebeziumEnvelope
        switch DebeziumEnvelope.parse(value) {
        case .failure(let e): return done(.reject(e.violations))
        case .success(.tombstone): return done(.skip(.tombstone))
        case .success(.envelope(let e)): envelope = e
        }
        switch envelope.op {
        case .truncate: return done(.skip(.truncate(table: envelope.table)))
        case .message: return done(.skip(.message))
        case .create, .update, .read, .delete: break
        }
        guard let table = mapping.tables[envelope.table] else {
            return done(.reject([Violation(
                code: .oneOf, path: envelope.pathPrefix + "source.table", rule: "a mapped table",
                message: "table \(envelope.table) is not in the mapping (mapped: \(mapping.tables.keys.sorted().joined(separator: ", ")))",
                value: "\"\(envelope.table)\"")]))
        }
        // The envelope's parse guarantees the image of the operation and a position.
        let isDelete = envelope.op == .delete
        guard let image = isDelete ? envelope.before : envelope.after, let position = envelope.position else {
            return done(.reject([Violation(path: envelope.pathPrefix, rule: "a row image and a position")]))
        }
        let row = RowContext(image: image, path: envelope.pathPrefix + (isDelete ? "before" : "after"))
        var v: [Violation] = []
        let key = row.keyText(table.key, into: &v)
        guard let key, v.isEmpty else { return done(.reject(v)) }
        let rowKey = RowKey(table: table.table, key: key)
        let last = try state.last(rowKey)
        if let last, position.isAfter(last.position) == false {
            return done(.skip(.replay(rowKey, position: position, lastApplied: last.position)))
        }
        let type: String
        let fields: [FieldMapping]
        if isDelete {
            guard case .event(let t, let f) = table.onDelete else { return done(.skip(.deleted(rowKey))) }
            (type, fields) = (t, f)
        } else {
            (type, fields) = (table.eventType, table.data)
        }
        var subjectProblems: [Violation] = []
        var subject = row.subject(table.subject, into: &subjectProblems)
        if subject == nil, isDelete, let last {
            subject = last.subject  // `before` with only the key (PostgreSQL's default replica identity)
        } else {
            v += subjectProblems
        }
        let data = row.data(fields, into: &v)
        guard let createdAt = envelope.timestamp else {
            v.append(Violation(code: .required, path: envelope.pathPrefix + "source.ts_ms", rule: "required",
                message: "is required (or ts_ms): when the change was made, the event's createdAt"))
            return done(.reject(v))
        }
        guard v.isEmpty, let subject else { return done(.reject(v)) }
        let values = CanonicalJSON.encode(["data": .object(data), "subject": .string(subject), "type": .string(type)])
        if !isDelete, let last, !last.deleted, last.values == values { return done(.skip(.unchanged(rowKey))) }
        let sourceRef = "\(rowKey)/\(position)"
        if sourceRef.utf8.count > 256 || sourceRef.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            return done(.reject([Violation(code: .length, path: row.path, rule: "sourceRef 1–256 bytes",
                message: "the event's sourceRef <table>/<key>/<position> would be \(sourceRef.utf8.count) bytes; at most 256 fit", value: "\"\(sourceRef)\"")]))
        }
        let event: JSONObject = ["type": .string(type), "subject": .string(subject), "sourceRef": .string(sourceRef),
            "createdAt": .string(createdAt.description), "data": .object(data)]
        if validatesEvents && !deferringCheck {
            let problems = DebeziumMapper.check(event)
            if !problems.isEmpty { return done(.reject(problems.map { row.locate($0, fields: fields) })) }
        }
        let newState = isDelete
            ? RowState(position: position, subject: subject, values: last?.values ?? [], deleted: true)
            : RowState(position: position, subject: subject, values: values)
        return (DebeziumResult(input: input, outcome: .event(event, row: rowKey, state: newState)),
            validatesEvents && deferringCheck ? DeferredCheck(row: row, fields: fields) : nil)
    }

    /// The violations of an event against its type.
    static func check(_ event: JSONObject) -> [Violation] { MappedEvents.violations(event, source: checkSource) }
}

/// A row image and where it is in the input.
struct RowContext: Sendable {
    let image: JSONObject
    /// `after`, `payload.before`, …
    let path: String

    func columnPath(_ column: String) -> String { "\(path).\(column)" }

    /// The value of a source, or nil (a violation added, or absent and optional).
    func resolve(_ source: ValueSource, optional: Bool, into v: inout [Violation]) -> JSONValue? {
        switch source {
        case .constant(let value): return value
        case .column(let column, let conversions):
            let at = columnPath(column)
            guard var value = image[column], value != .null else {
                if !optional {
                    let missing = image[column] == nil
                    v.append(Violation(code: .required, path: at, rule: "required column",
                        message: missing
                            ? "column \(column) is not in the row (captured columns: \(image.keys.joined(separator: ", ")))"
                            : "column \(column) is NULL; the mapping needs a value (or mark it optional)"))
                }
                return nil
            }
            for step in conversions {
                switch step.apply(value) {
                case .success(let converted): value = converted
                case .failure(let f):
                    v.append(Violation(code: .format, path: at, rule: "convert \(step.name)", message: "cannot convert: \(f.reason)", value: Violation.show(value)))
                    return nil
                }
            }
            if let bad = RowContext.inexactNumber(value) {
                v.append(Violation(code: .format, path: at, rule: "integer within ±2^53",
                    message: "the integer \(bad) cannot be kept exactly as a JSON number; map it with convert: string", value: bad))
                return nil
            }
            return value
        }
    }

    static func inexactNumber(_ value: JSONValue) -> String? {
        switch value {
        case .number(let n): return Conversion.isInexact(n) ? n.literal : nil
        case .array(let items): return items.lazy.compactMap(inexactNumber).first
        case .object(let o): return o.lazy.compactMap { inexactNumber($0.value) }.first
        default: return nil
        }
    }

    /// A key or subject part as text: strings as they are, integers as written.
    func text(_ source: ValueSource, what: String, into v: inout [Violation]) -> String? {
        guard let value = resolve(source, optional: false, into: &v) else { return nil }
        switch value {
        case .string(let s): return s
        case .number(let n) where Conversion.exactInteger(n) != nil: return n.literal
        default:
            v.append(Violation(code: .type, path: sourcePath(source), rule: "text or integer", message: "\(what) must be text or an integer, not \(value.typeName)", value: Violation.show(value)))
            return nil
        }
    }

    func sourcePath(_ source: ValueSource) -> String {
        if case .column(let c, _) = source { return columnPath(c) }
        return path
    }

    /// The primary key's text: values joined by `,`, with `%`, `,`, `/` and controls percent-encoded.
    func keyText(_ columns: [String], into v: inout [Violation]) -> String? {
        var parts: [String] = []
        parts.reserveCapacity(columns.count)
        for c in columns {
            guard let value = image[c], value != .null else {
                v.append(Violation(code: .required, path: columnPath(c), rule: "primary-key column",
                    message: "primary-key column \(c) is \(image[c] == nil ? "not in the row" : "NULL"); the row cannot be identified"))
                continue
            }
            let raw: String
            switch value {
            case .string(let s): raw = s
            case .number(let n): raw = n.literal
            case .bool(let b): raw = b ? "true" : "false"
            default:
                v.append(Violation(code: .type, path: columnPath(c), rule: "scalar key", message: "a primary-key value must be text, a number or a boolean, not \(value.typeName)"))
                continue
            }
            parts.append(RowContext.escapeKey(raw))
        }
        return v.isEmpty ? parts.joined(separator: ",") : nil
    }

    static func escapeKey(_ s: String) -> String {
        func escaped(_ c: Unicode.Scalar) -> Bool { c.value < 0x20 || c.value == 0x7F || c == "%" || c == "," || c == "/" }
        guard s.unicodeScalars.contains(where: escaped) else { return s }
        let hex = Array("0123456789ABCDEF")
        var out = ""
        for c in s.unicodeScalars {
            if escaped(c) {
                out += "%" + String(hex[Int(c.value >> 4)]) + String(hex[Int(c.value & 0xF)])
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// The canonical subject a row names.
    func subject(_ rule: SubjectRule, into v: inout [Violation]) -> String? {
        let before = v.count
        switch rule {
        case .gs1(let gtinSource, let lotSource, let serialSource):
            let gtin = text(gtinSource, what: "a GTIN", into: &v)
            var suffix = ""
            for (source, ai, name) in [(lotSource, "10", "lot"), (serialSource, "21", "serial")] {
                guard let source, let raw = text(source, what: "a \(name)", into: &v) else { continue }
                switch GS1.encodeAttribute(value: raw, name: name) {
                case .success(let encoded): suffix = "/\(ai)/\(encoded)"
                case .failure(let e):
                    v.append(Violation(code: .format, path: sourcePath(source), rule: "GS1 \(name) (AI \(ai))", message: e.reason, value: "\"\(raw)\""))
                }
            }
            guard let gtin, v.count == before else { return nil }
            do {
                return try Subject.canonical("01/\(gtin)\(suffix)").rawValue
            } catch {
                v.append(Violation(code: .format, path: sourcePath(gtinSource), rule: "GTIN-8/12/13/14 with its check digit", message: error.reason, value: "\"\(gtin)\""))
                return nil
            }
        case .supplier(let source), .facility(let source):
            let kind = if case .supplier = rule { "supplier" } else { "facility" }
            guard let id = text(source, what: "a \(kind) id", into: &v) else { return nil }
            do {
                return try Subject("\(kind)/\(id)").rawValue
            } catch {
                v.append(Violation(code: .format, path: sourcePath(source), rule: "\(kind) id", message: error.reason, value: "\"\(id)\""))
                return nil
            }
        }
    }

    /// The event's `data`.
    func data(_ fields: [FieldMapping], into v: inout [Violation]) -> JSONObject {
        var data = JSONObject()
        for f in fields {
            if let value = resolve(f.source, optional: f.optional, into: &v) { data[f.field] = value }
        }
        return data
    }

    /// A violation of the mapped event, pointed at the column its `data` member came from.
    func locate(_ violation: Violation, fields: [FieldMapping]) -> Violation {
        let p = violation.path
        guard p.hasPrefix("data.") else { return violation }
        let member = p.dropFirst(5).prefix { $0 != "." && $0 != "[" }
        guard let f = fields.first(where: { $0.field == member }), case .column(let column, _) = f.source else {
            return Violation(code: violation.code, path: violation.path, rule: violation.rule, message: "\(violation.message) (a constant of the mapping)", value: violation.value)
        }
        return Violation(code: violation.code, path: columnPath(column), rule: violation.rule, message: "\(p): \(violation.message)", value: violation.value)
    }
}

extension Conversion {
    /// The conversion's name in mapping files.
    var name: String {
        switch self {
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .multiply(let f): "multiply \(CanonicalJSON.formatNumber(f))"
        case .divide(let d): "divide \(CanonicalJSON.formatNumber(d))"
        case .date(let e): "date \(e.rawValue)"
        case .timestamp(let e): "timestamp \(e.rawValue)"
        case .codes: "codes"
        case .prefix(let p): "prefix \(p)"
        case .decimal(let s): "decimal scale \(s)"
        }
    }
}
