#if canImport(Glibc)
import Glibc
#endif

/// A bounded FIFO between the event loops (producers) and a store thread (consumers).
///
/// `push` never waits: when `capacity` jobs are waiting it returns a `queueFull` error and the caller answers
/// with `queueFull` at once, so a slow disk turns into errors instead of an unbounded backlog or
/// a blocked loop. Consumers take everything waiting (up to a bound) in one call: that is what
/// lets the writer commit many jobs in one transaction.
///
/// Threading: thread-safe; one mutex and one condition.
final class JobQueue<Job>: @unchecked Sendable {
    let capacity: Int
    /// "write" or "read", for error messages.
    let name: String
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let available = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `lock`:
    private var jobs: [Job] = []
    private var head = 0
    private var closed = false

    init(name: String, capacity: Int) {
        self.name = name
        self.capacity = max(1, capacity)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(available, nil)
    }

    deinit {
        pthread_cond_destroy(available)
        pthread_mutex_destroy(lock)
        available.deallocate()
        lock.deallocate()
    }

    /// Queues `job`; nil on success, else why it was not kept (`queueFull` or `closed`).
    func push(_ job: Job) -> StoreError? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if closed { return StoreError(.closed, "the store is closed") }
        guard jobs.count - head < capacity else {
            return StoreError(.queueFull, "the store's \(name) queue is full (\(capacity) jobs waiting): the disk is not keeping up")
        }
        jobs.append(job)
        pthread_cond_signal(available)
        return nil
    }

    /// Waits for at least one job and returns up to `limit` of them, oldest first; nil once the
    /// queue is closed and empty (the consumer then ends).
    func take(upTo limit: Int) -> [Job]? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        while jobs.count == head && !closed { pthread_cond_wait(available, lock) }
        if jobs.count == head { return nil }
        let end = min(jobs.count, head + max(1, limit))
        let batch = Array(jobs[head..<end])
        head = end
        // Compact once the taken prefix dominates, so the array never grows without bound.
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        return batch
    }

    /// Refuses new jobs; consumers still take what is queued, then see nil.
    func close() {
        pthread_mutex_lock(lock)
        closed = true
        pthread_cond_broadcast(available)
        pthread_mutex_unlock(lock)
    }

    var waiting: Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return jobs.count - head
    }
}
