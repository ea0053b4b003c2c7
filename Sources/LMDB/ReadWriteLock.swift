import Foundation

/// A pthread read-write lock; readers are transactions, the writer is a map resize.
final class ReadWriteLock: @unchecked Sendable {
    // @unchecked: the pthread lock is itself the synchronisation primitive.
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() { pthread_rwlock_init(lock, nil) }
    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }
    func lockRead() { pthread_rwlock_rdlock(lock) }
    func lockWrite() { pthread_rwlock_wrlock(lock) }
    func unlock() { pthread_rwlock_unlock(lock) }
}
