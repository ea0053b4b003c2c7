/// Where a change sits in its database's log, as Debezium reports it in `source`.
///
/// Positions are compared per row (``RowKey``): a change at or before the last one applied to its
/// row is a replay. That is sound because a database changes one row in commit order: while a
/// transaction holds a row no other can change it, so the later change has the later position.
public enum CDCPosition: Sendable, Hashable, CustomStringConvertible {
    /// PostgreSQL: the change's WAL position (`source.lsn`) and its transaction (`source.txId`,
    /// 0 when absent), compared in that order.
    case postgres(lsn: UInt64, txId: UInt64)
    /// MySQL: the binlog file (`source.file`), the event's position in it (`source.pos`) and the
    /// row within that event (`source.row`), compared in that order; files by their numeric suffix.
    case mysql(file: String, pos: UInt64, row: UInt64)

    /// Whether this position comes after `other` in the same stream; nil when the two cannot be
    /// compared (positions of different connectors, binlog files with different base names).
    public func isAfter(_ other: CDCPosition) -> Bool? {
        switch (self, other) {
        case (.postgres(let l1, let t1), .postgres(let l2, let t2)):
            return (l1, t1) > (l2, t2)
        case (.mysql(let f1, let p1, let r1), .mysql(let f2, let p2, let r2)):
            if f1 == f2 { return (p1, r1) > (p2, r2) }
            guard let a = CDCPosition.binlogParts(f1), let b = CDCPosition.binlogParts(f2), a.base == b.base else { return nil }
            if a.number != b.number { return a.number > b.number }
            return (p1, r1) > (p2, r2)
        default:
            return nil
        }
    }

    /// `mysql-bin.000003` → (`mysql-bin`, 3).
    static func binlogParts(_ file: String) -> (base: Substring, number: UInt64)? {
        guard let dot = file.lastIndex(of: ".") else { return nil }
        guard let n = UInt64(file[file.index(after: dot)...]) else { return nil }
        return (file[..<dot], n)
    }

    /// `pg:<lsn>:<txId>` or `mysql:<file>:<pos>:<row>`; the last part of an event's `sourceRef`.
    public var description: String {
        switch self {
        case .postgres(let lsn, let txId): "pg:\(lsn):\(txId)"
        case .mysql(let file, let pos, let row): "mysql:\(file):\(pos):\(row)"
        }
    }

    /// Reads the ``description`` form back (for a state store that keeps positions as text).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.first {
        case "pg":
            guard parts.count == 3, let lsn = UInt64(parts[1]), let tx = UInt64(parts[2]) else { return nil }
            self = .postgres(lsn: lsn, txId: tx)
        case "mysql":
            // A binlog file name has no ':'; the position and row are the last two parts.
            guard parts.count == 4, !parts[1].isEmpty, let pos = UInt64(parts[2]), let row = UInt64(parts[3]) else { return nil }
            self = .mysql(file: String(parts[1]), pos: pos, row: row)
        default:
            return nil
        }
    }
}
