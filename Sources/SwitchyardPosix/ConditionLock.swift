#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with one condition variable, for the few places where a thread must wait for
/// another (a worker thread waiting for its event loop to take its output). Not for the event
/// loops themselves: they never wait.
///
/// Threading: thread-safe.
public final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
    private let condition: UnsafeMutablePointer<pthread_cond_t> = .allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the lock.
    @inline(__always)
    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a `broadcast`; call inside `withLock`, and re-check the condition after.
    public func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Wakes every waiter; call inside `withLock`.
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
