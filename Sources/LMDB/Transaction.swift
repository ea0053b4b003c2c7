import Foundation
import CLMDB

/// A handle to a named database inside an ``Environment``.
public struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
}

/// Flags for ``Transaction/put(_:_:in:flags:)``.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Fail with ``LMDBError/isKeyExists`` if the key exists.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// Append at the end (keys must be in increasing order): much faster bulk loads.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}

/// A transaction. It is only valid inside the closure that received it; memory it lends
/// (values passed to `withValue` closures) is valid only inside those closures.
public final class Transaction {
    let handle: OpaquePointer
    /// The environment this transaction belongs to.
    public unowned let environment: Environment
    /// Whether the transaction is read-only.
    public let readOnly: Bool
    private var finished = false

    /// The transaction's ID (`mdb_txn_id`): for a read transaction, the ID of the last write
    /// transaction committed when it began, so two read transactions with the same ID see the
    /// same snapshot.
    public var id: Int { mdb_txn_id(handle) }

    init(handle: OpaquePointer, environment: Environment, readOnly: Bool) {
        self.handle = handle
        self.environment = environment
        self.readOnly = readOnly
    }

    func commit() throws(LMDBError) {
        finished = true
        try check(mdb_txn_commit(handle), "commit")
    }

    func abort() {
        guard !finished else { return }
        finished = true
        mdb_txn_abort(handle)
    }

    /// Opens a named database; with `create`, creates it (write transactions only).
    public func openDatabase(_ name: String, create: Bool) throws(LMDBError) -> Database {
        var dbi: MDB_dbi = 0
        try check(mdb_dbi_open(handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi), "open database \(name)")
        return Database(dbi: dbi)
    }

    /// Reads a value, calling `body` with LMDB's memory for it. Returns nil if absent.
    public func withValue<T>(
        forKey key: some ContiguousBytes, in db: Database, _ body: (UnsafeRawBufferPointer) throws -> T
    ) throws -> T? {
        try key.withUnsafeBytes { k in
            var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            var mv = MDB_val()
            let rc = mdb_get(handle, db.dbi, &mk, &mv)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, "get")
            return try body(UnsafeRawBufferPointer(start: mv.mv_data, count: mv.mv_size))
        }
    }

    /// Reads a value as a byte array, or nil if absent.
    public func get(_ key: some ContiguousBytes, in db: Database) throws -> [UInt8]? {
        try withValue(forKey: key, in: db) { [UInt8]($0) }
    }

    /// Writes a value.
    public func put(_ key: some ContiguousBytes, _ value: some ContiguousBytes, in db: Database, flags: PutFlags = [])
        throws(LMDBError)
    {
        let rc: Int32 = key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in
                var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                var mv = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                return mdb_put(handle, db.dbi, &mk, &mv, flags.rawValue)
            }
        }
        try check(rc, "put")
    }

    /// Deletes a key. Returns false if it was absent.
    @discardableResult
    public func delete(_ key: some ContiguousBytes, in db: Database) throws(LMDBError) -> Bool {
        let rc: Int32 = key.withUnsafeBytes { k in
            var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_del(handle, db.dbi, &mk, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "delete")
        return true
    }

    /// Number of entries in a database.
    public func count(_ db: Database) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(handle, db.dbi, &stat), "stat")
        return stat.ms_entries
    }

    /// Opens a cursor valid for the rest of this closure.
    public func withCursor<T>(_ db: Database, _ body: (Cursor) throws -> T) throws -> T {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, db.dbi, &cursor), "cursor_open")
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(handle: cursor!))
    }
}

extension Transaction {
    /// Calls `body` with the rest of every key that starts with `prefix` (the bytes after it) and
    /// its value, in key order: one cursor range, no seek per key.
    public func forEach(under prefix: [UInt8], in db: Database, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        try withCursor(db) { c in
            var position: Cursor.Position = .atOrAfter(prefix)
            while try c.move(position, { k, v -> Bool in
                guard k.count >= prefix.count, k.starts(with: prefix) else { return false }
                try body(UnsafeRawBufferPointer(rebasing: k[prefix.count...]), v)
                return true
            }) == true {
                position = .next
            }
        }
    }
}

/// A cursor over a database, in key order.
public struct Cursor {
    let handle: OpaquePointer

    /// Cursor positioning operations.
    public enum Position {
        /// The first, last, next, previous or current entry.
        case first, last, next, previous, current
        /// The first key greater than or equal to the given key.
        case atOrAfter([UInt8])
        /// Exactly this key.
        case exactly([UInt8])
    }

    /// Moves the cursor and calls `body` with the key and value there; nil at the end.
    public func move<T>(
        _ position: Position, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> T
    ) throws -> T? {
        var mk = MDB_val()
        var mv = MDB_val()
        let rc: Int32
        switch position {
        case .first: rc = mdb_cursor_get(handle, &mk, &mv, MDB_FIRST)
        case .last: rc = mdb_cursor_get(handle, &mk, &mv, MDB_LAST)
        case .next: rc = mdb_cursor_get(handle, &mk, &mv, MDB_NEXT)
        case .previous: rc = mdb_cursor_get(handle, &mk, &mv, MDB_PREV)
        case .current: rc = mdb_cursor_get(handle, &mk, &mv, MDB_GET_CURRENT)
        case .atOrAfter(let key), .exactly(let key):
            let op: MDB_cursor_op
            if case .exactly = position { op = MDB_SET_KEY } else { op = MDB_SET_RANGE }
            rc = key.withUnsafeBytes { k in
                mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                return mdb_cursor_get(handle, &mk, &mv, op)
            }
        }
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "cursor_get")
        return try body(
            UnsafeRawBufferPointer(start: mk.mv_data, count: mk.mv_size),
            UnsafeRawBufferPointer(start: mv.mv_data, count: mv.mv_size))
    }
}
