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

    /// Waits for a `broadcast` or until `deadline` (`monotonicNanoseconds`); call inside
    /// `withLock`, and re-check the condition after. False once the deadline has passed.
    public func wait(until deadline: UInt64) -> Bool {
        let now = monotonicNanoseconds()
        guard now < deadline else { return false }
        // The condition variable counts on CLOCK_REALTIME: turn the remaining time into one.
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        let total = UInt64(wall.tv_nsec) + (deadline - now)
        var until = timespec(tv_sec: wall.tv_sec + Int(total / 1_000_000_000), tv_nsec: Int(total % 1_000_000_000))
        return pthread_cond_timedwait(condition, mutex, &until) != ETIMEDOUT
    }

    /// Wakes every waiter; call inside `withLock`.
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
