import PassportModel

/// What the connector made of one input record (a file line, a Kafka partition/offset).
public struct DebeziumResult: Sendable, CustomStringConvertible {
    /// The outcome.
    public enum Outcome: Sendable {
        /// An unsigned event to append (no `source`: the appender adds its own), the row it came
        /// from, and the state to record for that row once the event is appended.
        case event(JSONObject, row: RowKey, state: RowState)
        /// Nothing to write, and why; nothing to record.
        case skip(SkipReason)
        /// The input is wrong; every violation names the field or column (paths into the input).
        case reject([Violation])
    }

    /// Where the input came from, as the caller named it (`orders.jsonl:12`, `erp.orders/3@1042`).
    public let input: String
    /// The outcome.
    public let outcome: Outcome

    /// Creates a result.
    public init(input: String, outcome: Outcome) {
        self.input = input
        self.outcome = outcome
    }

    /// The event, if the outcome is one.
    public var event: JSONObject? {
        if case .event(let e, _, _) = outcome { return e }
        return nil
    }

    /// The violations, if the input was rejected (else empty).
    public var violations: [Violation] {
        if case .reject(let v) = outcome { return v }
        return []
    }

    /// One line: `<input> event <type> <subject> <sourceRef>`, `<input> skipped: <reason>` or
    /// `<input> rejected: <violation>; …`.
    public var description: String {
        switch outcome {
        case .event(let e, _, _):
            let field = { (k: String) in e[k]?.stringValue ?? "" }
            return "\(input) event \(field("type")) \(field("subject")) \(field("sourceRef"))"
        case .skip(let reason): return "\(input) skipped: \(reason)"
        case .reject(let v): return "\(input) rejected: " + v.map(\.description).joined(separator: "; ")
        }
    }
}

/// Why an input record writes nothing.
public enum SkipReason: Sendable, Hashable, CustomStringConvertible {
    /// A tombstone (null value): Kafka's compaction marker after a delete.
    case tombstone
    /// A truncated table: the passports keep their history.
    case truncate(table: String)
    /// A logical decoding message (`op: m`), not a row change.
    case message
    /// A replay or redelivery: the change is at or before the last one applied to its row.
    case replay(RowKey, position: CDCPosition, lastApplied: CDCPosition)
    /// An update or snapshot read whose mapped values equal the row's last applied ones.
    case unchanged(RowKey)
    /// A deleted row, with the mapping's `on-delete: ignore` (the default).
    case deleted(RowKey)

    public var description: String {
        switch self {
        case .tombstone: "tombstone (the Kafka marker after a delete)"
        case .truncate(let t): "table \(t) truncated (passports keep their history)"
        case .message: "logical decoding message, not a row change"
        case .replay(let row, let p, let last): "replay of \(row) at \(p): already applied up to \(last)"
        case .unchanged(let row): "\(row) unchanged (its mapped values equal the last applied ones)"
        case .deleted(let row): "\(row) deleted (on-delete: ignore; the passport keeps its history)"
        }
    }
}
