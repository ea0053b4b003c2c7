import CLMDB
import Foundation

/// An LMDB environment: one memory-mapped database file with named sub-databases.
///
/// Read transactions may run on any thread; write transactions are serialised by LMDB itself,
/// across threads and processes. The map can grow while the environment is open: ``resize(to:)``
/// waits until no transaction of this process is active.
public final class Environment: @unchecked Sendable {
    // @unchecked: `handle` is set once in init and freed in deinit; LMDB environments are
    // thread-safe with MDB_NOTLS, and map resizing is guarded by `resizeLock`.
    let handle: OpaquePointer
    private let resizeLock: ReadWriteLock
    /// The folder that holds `data.mdb` and `lock.mdb`.
    public let path: String

    /// Options for opening an environment.
    public struct Options: Sendable {
        /// Initial map size in bytes.
        public var mapSize: Int
        /// Maximum number of named databases.
        public var maxDatabases: UInt32
        /// Maximum concurrent readers.
        public var maxReaders: UInt32
        /// Open read-only.
        public var readOnly: Bool

        /// Creates options with sensible defaults.
        public init(mapSize: Int = 64 << 20, maxDatabases: UInt32 = 16, maxReaders: UInt32 = 254, readOnly: Bool = false) {
            self.mapSize = mapSize
            self.maxDatabases = maxDatabases
            self.maxReaders = maxReaders
            self.readOnly = readOnly
        }
    }

    /// Opens (creating files if needed) the environment in the folder `path`, which must exist.
    /// - Throws: ``LMDBError`` if LMDB cannot open it.
    public init(path: String, options: Options = Options()) throws(LMDBError) {
        resizeLock = try ReadWriteLock()
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "env_create")
        guard let env else { throw LMDBError(code: ENOMEM, operation: "env_create") }
        do {
            try check(mdb_env_set_maxdbs(env, MDB_dbi(options.maxDatabases)), "set_maxdbs")
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "set_maxreaders")
            try check(mdb_env_set_mapsize(env, options.mapSize), "set_mapsize")
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            try check(mdb_env_open(env, path, flags, 0o600), "open \(path)")
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
    }

    deinit {
        mdb_env_close(handle)
    }

    /// The current size of the memory map in bytes.
    /// - Throws: ``LMDBError`` if LMDB cannot report it.
    public var mapSize: Int {
        get throws(LMDBError) {
            var info = MDB_envinfo()
            try check(mdb_env_info(handle, &info), "env_info")
            return info.me_mapsize
        }
    }

    /// The ID of the last committed write transaction, of any process using the environment. It
    /// changes with every commit; reading it takes no transaction and never waits (LMDB reads it
    /// from the lock file's shared memory, or the meta page).
    /// - Throws: ``LMDBError`` if LMDB cannot report it.
    public var lastTransactionID: Int {
        get throws(LMDBError) {
            var info = MDB_envinfo()
            try check(mdb_env_info(handle, &info), "env_info")
            return info.me_last_txnid
        }
    }

    /// Grows (or adopts another process's larger) map size. Waits for this process's
    /// transactions to finish. Pass 0 to adopt the size another process set.
    public func resize(to bytes: Int) throws(LMDBError) {
        try resizeLock.lockWrite()
        defer { resizeLock.unlock() }
        try check(mdb_env_set_mapsize(handle, bytes), "set_mapsize")
    }

    /// Flushes data to disk (only needed with no-sync flags; commits are durable by default).
    public func sync() throws(LMDBError) {
        try check(mdb_env_sync(handle, 1), "env_sync")
    }

    /// Runs `body` in a read-only transaction.
    public func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        try withTransaction(readOnly: true, body)
    }

    /// Runs `body` in a write transaction and commits it if `body` returns normally; aborts on throw.
    /// LMDB commits are durable (fsync) when this returns.
    public func write<T>(_ body: (Transaction) throws -> T) throws -> T {
        try withTransaction(readOnly: false, body)
    }

    private func withTransaction<T>(readOnly: Bool, _ body: (Transaction) throws -> T) throws -> T {
        let flags = readOnly ? UInt32(MDB_RDONLY) : 0
        var txn: OpaquePointer?
        while true {
            try resizeLock.lockRead()
            let rc = mdb_txn_begin(handle, nil, flags, &txn)
            if rc == 0 { break }
            resizeLock.unlock()
            guard rc == MDB_MAP_RESIZED else {
                throw LMDBError(code: rc, operation: readOnly ? "begin read transaction" : "begin write transaction")
            }
            // Another process grew the map: adopt its size while no transaction of ours is open.
            try resize(to: 0)
        }
        defer { resizeLock.unlock() }
        let transaction = Transaction(handle: txn!, environment: self, readOnly: readOnly)
        do {
            let result = try body(transaction)
            // Read-only transactions are committed too: that is what keeps database handles
            // opened inside them valid for the environment (LMDB's mdb_dbi_open rule).
            try transaction.commit()
            return result
        } catch {
            transaction.abort()
            throw error
        }
    }

    /// Opens (or creates, in a write transaction) a named database.
    public func database(_ name: String, create: Bool = true) throws -> Database {
        try write { txn in try txn.openDatabase(name, create: create) }
    }
}
