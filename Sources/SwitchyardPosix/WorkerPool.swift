#if canImport(Glibc)
import Glibc
#endif

/// A fixed number of threads taking jobs from a bounded FIFO queue: the place for work that may
/// block (plugin hooks declared blocking), so that it never runs on an event loop.
///
/// `submit` never waits: when every thread is busy and the queue holds `queueCapacity` jobs, it
/// returns false and the caller answers at once (a 503) instead of queueing without bound.
/// Jobs start in submission order; with one thread they also finish in that order.
///
/// Threading: every method is thread-safe. `shutdown` ends the threads: jobs not started yet are
/// dropped (never run), running ones are waited for up to a bound.
public final class WorkerPool: @unchecked Sendable {
    public typealias Job = @Sendable () -> Void

    public let threadCount: Int
    public let queueCapacity: Int
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled when a job is queued or the pool stops.
    private let workAvailable: UnsafeMutablePointer<pthread_cond_t>
    /// Signalled when a thread leaves.
    private let threadLeft: UnsafeMutablePointer<pthread_cond_t>
    // Guarded by `lock`:
    private var ring: [Job?]
    private var head = 0
    private var count = 0
    private var busy = 0
    private var alive = 0
    private var stopping = false
    private var threads: [pthread_t] = []

    /// Starts `threads` threads (at least 1) with room for `queueCapacity` waiting jobs (0 = a job
    /// is accepted only when a thread is idle).
    public init(threads: Int, queueCapacity: Int) {
        threadCount = max(1, threads)
        self.queueCapacity = max(0, queueCapacity)
        // Jobs submitted to idle threads wait here too until a thread takes them.
        ring = Array(repeating: nil, count: threadCount + self.queueCapacity)
        lock = .allocate(capacity: 1)
        workAvailable = .allocate(capacity: 1)
        threadLeft = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(workAvailable, nil)
        Self.initMonotonicCondition(threadLeft)
        pthread_mutex_lock(lock)
        for _ in 0..<threadCount {
            let start = Unmanaged.passRetained(WorkerStart(self))
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let pool = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue().pool
                pool.work()
                return nil
            }, start.toOpaque())
            precondition(rc == 0, "pthread_create failed: \(rc)")
            self.threads.append(thread)
            alive += 1
        }
        pthread_mutex_unlock(lock)
    }

    deinit {
        pthread_cond_destroy(threadLeft)
        pthread_cond_destroy(workAvailable)
        pthread_mutex_destroy(lock)
        threadLeft.deallocate()
        workAvailable.deallocate()
        lock.deallocate()
    }

    /// Queues `job`; false (and `job` is dropped) when the pool is full or shutting down.
    public func submit(_ job: @escaping Job) -> Bool {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        // Room: an idle thread for it, or a free slot in the queue.
        guard !stopping, busy + count < threadCount + queueCapacity else { return false }
        ring[(head + count) % ring.count] = job
        count += 1
        pthread_cond_signal(workAvailable)
        return true
    }

    /// Jobs running and jobs waiting (diagnostics, tests).
    public var load: (running: Int, queued: Int) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return (busy, count)
    }

    /// Stops accepting jobs, drops those not started, and waits up to `nanoseconds` for the
    /// running ones to return and every thread to end. Returns the number of threads still inside
    /// a job at the deadline (they are detached: a plugin hook that never returns cannot hold the
    /// gateway's exit); 0 when all have ended. Idempotent.
    @discardableResult
    public func shutdown(waitingAtMost nanoseconds: UInt64) -> Int {
        pthread_mutex_lock(lock)
        stopping = true
        var dropped: [Job] = []
        while count > 0 {
            if let job = ring[head] { dropped.append(job) }
            ring[head] = nil
            head = (head + 1) % ring.count
            count -= 1
        }
        pthread_cond_broadcast(workAvailable)
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let end = UInt64(deadline.tv_sec) &* 1_000_000_000 &+ UInt64(deadline.tv_nsec) &+ nanoseconds
        deadline.tv_sec = Int(end / 1_000_000_000)
        deadline.tv_nsec = Int(end % 1_000_000_000)
        while alive > 0 {
            if pthread_cond_timedwait(threadLeft, lock, &deadline) == ETIMEDOUT { break }
        }
        let remaining = alive
        let threads = self.threads
        self.threads = []
        pthread_mutex_unlock(lock)
        // Released outside the lock: a job's captures may run deinits that take other locks.
        dropped.removeAll()
        for thread in threads {
            if remaining == 0 { pthread_join(thread, nil) } else { pthread_detach(thread) }
        }
        return remaining
    }

    private func work() {
        pthread_mutex_lock(lock)
        while true {
            while count == 0 && !stopping { pthread_cond_wait(workAvailable, lock) }
            if stopping { break }
            var job = ring[head]
            ring[head] = nil
            head = (head + 1) % ring.count
            count -= 1
            busy += 1
            pthread_mutex_unlock(lock)
            job?()
            // Released before the lock is taken again: the last reference to a plugin state may
            // go with it, and state_free must not run under the pool's lock.
            job = nil
            pthread_mutex_lock(lock)
            busy -= 1
        }
        alive -= 1
        pthread_cond_broadcast(threadLeft)
        pthread_mutex_unlock(lock)
    }

    private static func initMonotonicCondition(_ condition: UnsafeMutablePointer<pthread_cond_t>) {
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }
}

private final class WorkerStart {
    let pool: WorkerPool
    init(_ pool: WorkerPool) { self.pool = pool }
}
