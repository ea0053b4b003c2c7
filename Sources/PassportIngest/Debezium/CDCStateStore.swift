import PassportModel

/// One row of one mapped table: the mapping's table name and the row's primary-key values.
public struct RowKey: Sendable, Hashable, CustomStringConvertible {
    /// The table as the mapping names it: `<schema>.<table>` (PostgreSQL) or `<db>.<table>` (MySQL).
    public let table: String
    /// The primary-key values, in the mapping's key order, joined by `,`; in each value `%`, `,`,
    /// `/` and control characters are percent-encoded (uppercase hex), so distinct keys never
    /// share a text. Numbers are written as Debezium wrote them.
    public let key: String

    /// Creates a row key.
    public init(table: String, key: String) {
        self.table = table
        self.key = key
    }

    /// `<table>/<key>`: the first two parts of an event's `sourceRef`, and a store's lookup key.
    public var description: String { "\(table)/\(key)" }
}

/// What the connector remembers of a row: the last change it turned into an event.
///
/// Kept per ``RowKey``; a ledger-backed store keeps it in the `meta` database, written in the same
/// transaction as the record the event became, so that the state and the log never disagree.
public struct RowState: Sendable, Hashable {
    /// The source position of that change.
    public let position: CDCPosition
    /// The subject its event was about (a delete whose `before` lacks the subject's columns uses it).
    public let subject: String
    /// The canonical JSON (RFC 8785) of `{"data", "subject", "type"}` of the row's last event
    /// other than a delete's: a change that maps to exactly these bytes changes nothing.
    public let values: [UInt8]
    /// Whether the row's last event was a delete's (the next create always writes).
    public let deleted: Bool

    /// Creates a row state.
    public init(position: CDCPosition, subject: String, values: [UInt8], deleted: Bool = false) {
        self.position = position
        self.subject = subject
        self.values = values
        self.deleted = deleted
    }

    /// The state as JSON, for stores that keep it as bytes:
    /// `{"deleted", "position", "subject", "values"}` (`values` as a JSON string).
    public var json: JSONValue {
        ["position": .string(position.description), "subject": .string(subject),
            "values": .string(String(decoding: values, as: UTF8.self)), "deleted": .bool(deleted)]
    }

    /// Reads ``json`` back; nil if it is not a row state.
    public init?(json: JSONValue) {
        guard let o = json.objectValue, let p = o["position"]?.stringValue.flatMap(CDCPosition.init),
            let s = o["subject"]?.stringValue, let v = o["values"]?.stringValue
        else { return nil }
        guard case .bool(let d)? = o["deleted"] else { return nil }
        self.init(position: p, subject: s, values: Array(v.utf8), deleted: d)
    }
}

/// Where the connector keeps each row's ``RowState`` between changes.
///
/// The mapper only reads (``last(_:)``); whoever appends the events records (``record(_:_:)``)
/// the state that came with each event once the ledger has appended it (or answered that it was
/// a duplicate) — never for an event the ledger rejected, so that a corrected redelivery is
/// mapped again. A ledger-backed store must keep, per row key (`RowKey.description`), the
/// ``RowState/json`` bytes in `meta`, written in the same write transaction as the record, and
/// read them in the transaction that maps the next batch; changes to the same row within one
/// batch need the earlier change's state, so record as you go (``PendingCDCState`` does this in
/// memory over another store).
public protocol CDCStateStore {
    /// The state recorded for a row, or nil if none.
    /// - Throws: whatever the store's storage throws (never for a missing row).
    func last(_ row: RowKey) throws -> RowState?
    /// Records a row's state after its event was appended.
    /// - Throws: whatever the store's storage throws.
    mutating func record(_ row: RowKey, _ state: RowState) throws
}

/// A ``CDCStateStore`` in memory (tests, and one process's session).
public struct InMemoryCDCState: CDCStateStore, Sendable {
    /// The states by row.
    public private(set) var rows: [RowKey: RowState] = [:]

    /// An empty store.
    public init() {}

    /// The state recorded for a row, or nil.
    public func last(_ row: RowKey) -> RowState? { rows[row] }
    /// Records a row's state.
    public mutating func record(_ row: RowKey, _ state: RowState) { rows[row] = state }
}

/// States recorded in memory over a base store, for mapping a batch before it is appended: the
/// changes of one batch see each other's states; ``pending`` is written to the base store in the
/// transaction that appends the batch (and dropped for events the ledger rejected).
public struct PendingCDCState<Base: CDCStateStore>: CDCStateStore {
    /// The store underneath.
    public var base: Base
    /// States recorded since the last ``flush()``, in order.
    public private(set) var pending: [(row: RowKey, state: RowState)] = []
    private var latest: [RowKey: RowState] = [:]

    /// Wraps a store.
    public init(base: Base) { self.base = base }

    /// The row's pending state, else the base store's.
    /// - Throws: whatever the base store throws.
    public func last(_ row: RowKey) throws -> RowState? {
        if let s = latest[row] { return s }
        return try base.last(row)
    }

    /// Records a row's state as pending (the base store is written by ``flush()``).
    public mutating func record(_ row: RowKey, _ state: RowState) {
        pending.append((row, state))
        latest[row] = state
    }

    /// Records the pending states in the base store and forgets them.
    /// - Throws: whatever the base store throws; the states not yet written stay pending.
    public mutating func flush() throws {
        var written = 0
        defer { pending.removeFirst(written) }
        for (row, state) in pending {
            try base.record(row, state)
            written += 1
        }
        latest = [:]
    }

    /// Forgets the first `n` pending states (their batch is now durable, so the base store holds
    /// those that stand), keeping the later ones (a batch mapped while the earlier one committed).
    public mutating func forget(first n: Int) {
        pending.removeFirst(min(n, pending.count))
        latest = [:]
        for (row, state) in pending { latest[row] = state }
    }

    /// Forgets the pending states (the batch was not appended).
    public mutating func discard() {
        pending = []
        latest = [:]
    }
}
