import PassportModel

/// One Debezium change event (the Kafka record's value), as the PostgreSQL and MySQL connectors
/// write it with the JSON converter: `before`, `after`, `op`, `source`, `ts_ms`, either bare
/// (`schemas.enable=false`) or inside `{"schema": …, "payload": …}`.
public struct DebeziumEnvelope: Sendable {
    /// What happened (`op`).
    public enum Operation: String, Sendable {
        /// `c`: a row was inserted.
        case create = "c"
        /// `u`: a row was updated.
        case update = "u"
        /// `d`: a row was deleted.
        case delete = "d"
        /// `r`: a row read by a snapshot.
        case read = "r"
        /// `t`: the table was truncated.
        case truncate = "t"
        /// `m`: a logical decoding message (PostgreSQL), not a row change.
        case message = "m"
    }

    /// The operation.
    public let op: Operation
    /// The row before the change (`d`, `u`; with PostgreSQL's default replica identity, only its key).
    public let before: JSONObject?
    /// The row after the change (`c`, `u`, `r`).
    public let after: JSONObject?
    /// The `source` block.
    public let source: JSONObject
    /// `source.connector` (`postgresql`, `mysql`, …).
    public let connector: String
    /// `<source.schema>.<source.table>` (PostgreSQL) or `<source.db>.<source.table>` (MySQL).
    public let table: String
    /// The change's position in its database's log (nil for a `m` message).
    public let position: CDCPosition?
    /// When the change was made: `source.ts_us`, else `source.ts_ms` (when not 0), else `ts_ms`.
    public let timestamp: Timestamp?
    /// `payload.` when the envelope came wrapped, else empty: the prefix of violation paths.
    public let pathPrefix: String

    /// What one input line holds.
    public enum Parsed: Sendable {
        /// A tombstone: a null value (Kafka's marker after a delete, for log compaction).
        case tombstone
        /// A change event.
        case envelope(DebeziumEnvelope)
    }

    /// Reads a Kafka record value.
    /// - Returns: the envelope or tombstone, or every violation found (paths into the input).
    public static func parse(_ value: JSONValue) -> Result<Parsed, ValidationError> {
        var body: JSONObject
        var prefix = ""
        switch value {
        case .null: return .success(.tombstone)
        case .object(let o):
            body = o
            if o["op"] == nil, let payload = o["payload"], o["schema"] != nil || o.count == 1 {
                prefix = "payload."
                switch payload {
                case .null: return .success(.tombstone)
                case .object(let p): body = p
                default:
                    return .failure(ValidationError([Violation(code: .type, path: "payload", rule: "type object", message: "must be an object (the change event) or null (a tombstone), not \(payload.typeName)", value: Violation.show(payload))]))
                }
            }
        default:
            return .failure(ValidationError([Violation(code: .type, path: "", rule: "type object", message: "a Debezium change event is a JSON object (or null, a tombstone), not \(value.typeName)", value: Violation.show(value))]))
        }
        var v: [Violation] = []
        func path(_ p: String) -> String { prefix + p }
        var op: Operation?
        switch body["op"] {
        case .string(let s)?:
            op = Operation(rawValue: s)
            if op == nil { v.append(Violation(code: .oneOf, path: path("op"), rule: "one of c, u, d, r, t, m", message: "unknown operation (Debezium writes c, u, d, r, t or m)", value: "\"\(s)\"")) }
        case nil:
            v.append(Violation(code: .required, path: path("op"), rule: "required", message: "is required: not a Debezium change event (expected op, before, after, source — or schema and payload)"))
        case let other?:
            v.append(Violation(code: .type, path: path("op"), rule: "type string", message: "must be a string, not \(other.typeName)", value: Violation.show(other)))
        }
        guard case .object(let source)? = body["source"] else {
            v.append(Violation(code: body["source"] == nil ? .required : .type, path: path("source"), rule: "required object",
                message: body["source"] == nil ? "is required: it names the table and the log position" : "must be an object"))
            return .failure(ValidationError(v))
        }
        func string(_ key: String) -> String? { source[key]?.stringValue }
        let connector = string("connector") ?? ""
        let namespace: String?
        switch connector {
        case "postgresql": namespace = string("schema")
        case "mysql": namespace = string("db")
        default: namespace = string("schema") ?? string("db")
        }
        let tableName = string("table")
        if tableName == nil { v.append(Violation(code: .required, path: path("source.table"), rule: "required", message: "is required: the table that changed")) }
        if namespace == nil {
            let which = connector == "mysql" ? "source.db" : "source.schema"
            v.append(Violation(code: .required, path: path(which), rule: "required", message: "is required: with source.table it names the mapped table"))
        }
        let before = rowImage(body, "before", path: path("before"), into: &v)
        let after = rowImage(body, "after", path: path("after"), into: &v)
        var position: CDCPosition?
        if let op, op != .message {
            position = readPosition(source, connector: connector, path: path("source."), into: &v)
            switch op {
            case .create, .read:
                if after == nil { v.append(Violation(code: .required, path: path("after"), rule: "required", message: "is required for op \(op.rawValue): the new row")) }
            case .update:
                if after == nil { v.append(Violation(code: .required, path: path("after"), rule: "required", message: "is required for op u: the updated row")) }
            case .delete:
                if before == nil { v.append(Violation(code: .required, path: path("before"), rule: "required", message: "is required for op d: the deleted row (at least its key)")) }
            case .truncate, .message: break
            }
        }
        let timestamp = readTimestamp(body, source: source)
        guard v.isEmpty, let op, let namespace, let tableName else { return .failure(ValidationError(v)) }
        return .success(.envelope(DebeziumEnvelope(
            op: op, before: before, after: after, source: source, connector: connector, table: "\(namespace).\(tableName)",
            position: position, timestamp: timestamp, pathPrefix: prefix)))
    }

    static func rowImage(_ body: JSONObject, _ key: String, path: String, into v: inout [Violation]) -> JSONObject? {
        switch body[key] {
        case .object(let o)?: return o
        case .null?, nil: return nil
        case let other?:
            v.append(Violation(code: .type, path: path, rule: "type object", message: "must be an object (the row) or null, not \(other.typeName)", value: Violation.show(other)))
            return nil
        }
    }

    /// A non-negative integer of up to 64 bits, read exactly from its literal.
    static func unsigned(_ value: JSONValue?) -> UInt64? {
        guard case .number(let n)? = value else { return nil }
        return UInt64(n.literal) ?? n.intValue.flatMap { $0 >= 0 ? UInt64($0) : nil }
    }

    static func readPosition(_ source: JSONObject, connector: String, path: String, into v: inout [Violation]) -> CDCPosition? {
        func need(_ key: String, _ why: String) -> UInt64? {
            if let n = unsigned(source[key]) { return n }
            v.append(Violation(code: source[key] == nil ? .required : .type, path: path + key, rule: "non-negative integer",
                message: source[key] == nil ? "is required: \(why)" : "must be a non-negative integer", value: source[key].map(Violation.show)))
            return nil
        }
        let isMySQL = connector == "mysql" || (connector != "postgresql" && source["file"] != nil)
        if isMySQL {
            guard let file = source["file"]?.stringValue, !file.isEmpty, !file.contains(":") else {
                v.append(Violation(code: .required, path: path + "file", rule: "binlog file name", message: "is required: the binlog file of the change", value: source["file"].map(Violation.show)))
                return nil
            }
            guard let pos = need("pos", "the binlog position of the change") else { return nil }
            let row = source["row"] == nil || source["row"] == .null ? 0 : need("row", "the row within the binlog event")
            return row.map { .mysql(file: file, pos: pos, row: $0) }
        }
        guard let lsn = need("lsn", "the WAL position (LSN) of the change") else { return nil }
        let tx: UInt64? = source["txId"] == nil || source["txId"] == .null ? 0 : need("txId", "the transaction of the change")
        return tx.map { .postgres(lsn: lsn, txId: $0) }
    }

    static func readTimestamp(_ body: JSONObject, source: JSONObject) -> Timestamp? {
        if let us = unsigned(source["ts_us"]), us > 0, us <= UInt64(Timestamp.max.microseconds) {
            return Timestamp(microsecondsSinceEpoch: Int64(us))
        }
        for (o, key) in [(source, "ts_ms"), (body, "ts_ms")] {
            if let ms = unsigned(o[key]), ms > 0, ms <= UInt64(Timestamp.max.microseconds / 1000) {
                return Timestamp(microsecondsSinceEpoch: Int64(ms) * 1000)
            }
        }
        return nil
    }
}
