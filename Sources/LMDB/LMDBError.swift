import CLMDB

/// An error returned by LMDB, with its code and what the user should do.
public struct LMDBError: Error, CustomStringConvertible, Sendable, Equatable {
    /// LMDB's return code (`MDB_*` or an errno value).
    public let code: Int32
    /// Which operation failed.
    public let operation: String

    /// True when the memory map is full (`MDB_MAP_FULL`): grow the map and retry.
    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// True when another process grew the map (`MDB_MAP_RESIZED`).
    public var isMapResized: Bool { code == MDB_MAP_RESIZED }
    /// True when a key was not found (`MDB_NOTFOUND`).
    public var isNotFound: Bool { code == MDB_NOTFOUND }
    /// True when `put` refused a duplicate key (`MDB_KEYEXIST`).
    public var isKeyExists: Bool { code == MDB_KEYEXIST }

    /// True when the failure is caused by the data of one `put` (`MDB_BAD_VALSIZE`: a key longer
    /// than LMDB allows, or empty), not by the environment, the disk or the transaction as a whole.
    public var isEventSpecific: Bool { code == MDB_BAD_VALSIZE }

    /// Creates an error from an LMDB return code.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    public var description: String {
        let text = String(cString: mdb_strerror(code))
        return "LMDB \(operation) failed: \(text) (code \(code))"
    }
}

/// Turns every LMDB return code into a typed error; the one place C return codes are checked.
/// (`mdb_env_close`, `mdb_txn_abort` and `mdb_cursor_close` return nothing to check.)
@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
    if rc != 0 { throw LMDBError(code: rc, operation: operation()) }
}
