import PassportModel

/// How the change events of a database's tables become passport events: which table feeds which
/// event type, which columns make the subject and the `data`, with what conversions, and what a
/// deleted row means (`Specs/connectors/debezium.md`). Read from YAML by ``init(yaml:)``.
public struct DebeziumMapping: Sendable {
    /// The mapped tables by name (`<schema>.<table>` for PostgreSQL, `<db>.<table>` for MySQL).
    public let tables: [String: TableMapping]

    /// Creates a mapping from table mappings.
    public init(tables: [TableMapping]) {
        self.tables = Dictionary(tables.map { ($0.table, $0) }, uniquingKeysWith: { _, last in last })
    }
}

/// How one table's rows become events.
public struct TableMapping: Sendable {
    /// `<schema>.<table>` (PostgreSQL) or `<db>.<table>` (MySQL).
    public let table: String
    /// The event type each row change becomes (`batch.produced`).
    public let eventType: String
    /// The primary-key columns, in order (the row's identity for positions and idempotency).
    public let key: [String]
    /// Which columns make the subject.
    public let subject: SubjectRule
    /// The `data` members, in order.
    public let data: [FieldMapping]
    /// What a deleted row becomes.
    public let onDelete: DeleteRule

    /// Creates a table mapping.
    public init(table: String, eventType: String, key: [String], subject: SubjectRule, data: [FieldMapping], onDelete: DeleteRule = .ignore) {
        self.table = table
        self.eventType = eventType
        self.key = key
        self.subject = subject
        self.data = data
        self.onDelete = onDelete
    }
}

/// Where a value comes from: a column (with conversions applied in order) or a constant.
public enum ValueSource: Sendable, Hashable {
    /// A column of the row image, converted step by step.
    case column(String, [Conversion])
    /// A fixed value.
    case constant(JSONValue)
}

/// One member of the event's `data`.
public struct FieldMapping: Sendable, Hashable {
    /// The `data` member name (`quantity`).
    public let field: String
    /// Where its value comes from.
    public let source: ValueSource
    /// Whether a NULL or absent column leaves the member out (otherwise the change is rejected).
    public let optional: Bool

    /// Creates a field mapping.
    public init(field: String, source: ValueSource, optional: Bool = false) {
        self.field = field
        self.source = source
        self.optional = optional
    }
}

/// How the subject is built from a row.
public enum SubjectRule: Sendable, Hashable {
    /// `01/<GTIN>`, with a lot `…/10/<lot>` or a serial `…/21/<serial>` (raw values, as printed;
    /// encoded and padded to the canonical GS1 Digital Link spelling).
    case gs1(gtin: ValueSource, lot: ValueSource?, serial: ValueSource?)
    /// `supplier/<id>`.
    case supplier(ValueSource)
    /// `facility/<id>`.
    case facility(ValueSource)
}

/// What a deleted row (`op: d`) becomes.
public enum DeleteRule: Sendable, Hashable {
    /// Nothing: a row deleted in the source does not erase the passport's history (the default).
    case ignore
    /// An event of this type about the row's subject, with this `data` (columns read from `before`).
    case event(type: String, data: [FieldMapping])
}

/// How Debezium encodes a time column (`time.precision.mode=adaptive`, the default, and ISO text).
public enum TimeEncoding: String, Sendable, Hashable, CaseIterable {
    /// `io.debezium.time.Date`: days since 1970-01-01.
    case epochDays = "epoch-days"
    /// `io.debezium.time.Timestamp`: milliseconds since the epoch.
    case epochMillis = "epoch-millis"
    /// `io.debezium.time.MicroTimestamp`: microseconds since the epoch.
    case epochMicros = "epoch-micros"
    /// `io.debezium.time.NanoTimestamp`: nanoseconds since the epoch.
    case epochNanos = "epoch-nanos"
    /// ISO 8601 / RFC 3339 text (`io.debezium.time.ZonedTimestamp`, or a date `YYYY-MM-DD`).
    case iso
}

/// One step that turns a column's value into a `data` value.
public enum Conversion: Sendable, Hashable {
    /// An integer (from a number or numeric text).
    case integer
    /// A number (from a number or numeric text).
    case number
    /// Text (numbers as Debezium wrote them, so big integers stay exact).
    case string
    /// A number multiplied by the factor (units: `0.001` for g → kg).
    case multiply(Double)
    /// A number divided by the divisor (units: `1000` for g → kg, correctly rounded).
    case divide(Double)
    /// A date `YYYY-MM-DD` (in UTC) from the encoding.
    case date(TimeEncoding)
    /// An RFC 3339 timestamp with 6 fraction digits (UTC) from the encoding.
    case timestamp(TimeEncoding)
    /// A code list: the value's text looked up; an unknown code is rejected.
    case codes([String: JSONValue])
    /// Text with a prefix (`facility/` turns a plant code into a subject).
    case prefix(String)
    /// A Debezium `decimal.handling.mode=precise` value (base64 of the big-endian two's
    /// complement unscaled integer) with this scale; numbers and numeric text also accepted.
    case decimal(scale: Int)
}
