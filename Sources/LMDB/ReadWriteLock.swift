import Foundation

/// A pthread read-write lock; readers are transactions, the writer is a map resize. Every pthread
/// return code goes through ``check(_:_:)``, as LMDB's do (pthread returns an errno value).
final class ReadWriteLock: @unchecked Sendable {
    // @unchecked: the pthread lock is itself the synchronisation primitive.
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    /// - Throws: ``LMDBError`` with the errno value if the system cannot create the lock.
    init() throws(LMDBError) {
        do {
            try check(pthread_rwlock_init(lock, nil), "create the map-resize lock")
        } catch {
            lock.deallocate()
            throw error
        }
    }

    deinit {
        // Unchecked on purpose: destroy fails only for a lock still held (EBUSY), and no
        // transaction of this environment can outlive it; there is no one to report to in deinit.
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Takes the lock for reading (a transaction).
    /// - Throws: ``LMDBError`` if the system refuses (`EAGAIN`: too many readers; `EDEADLK`).
    func lockRead() throws(LMDBError) {
        try check(pthread_rwlock_rdlock(lock), "take the map-resize lock for a transaction")
    }

    /// Takes the lock for writing (a map resize).
    /// - Throws: ``LMDBError`` if the system refuses (`EDEADLK`: this thread holds it already,
    ///   i.e. a resize from inside a transaction).
    func lockWrite() throws(LMDBError) {
        try check(pthread_rwlock_wrlock(lock), "take the map-resize lock to resize the map")
    }

    /// Releases the lock. Fails only if this thread does not hold it, a bug in this wrapper that
    /// no input can cause: it stops the process with a message saying so.
    func unlock() {
        do {
            try check(pthread_rwlock_unlock(lock), "release the map-resize lock")
        } catch {
            fatalError("\(error): the lock was not held by this thread, a bug in the LMDB wrapper")
        }
    }
}
