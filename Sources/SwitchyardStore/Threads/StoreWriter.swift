import Synchronization
import SwitchyardPosix

/// The only thread that writes: it owns the write connection, takes every queued write job at
/// once (up to `maxBatch`), runs them in one transaction and commits, then delivers each job's
/// completion to the loop that asked. One commit (one fsync with `synchronous=FULL`) covers the
/// whole batch, so the store keeps up with many loops while each loop only ever enqueues.
///
/// A job that throws is rolled back alone (a savepoint per job) and its completion gets the
/// error; the others in the batch still commit. If the commit itself fails, every job of the
/// batch gets that error and nothing of it is kept.
///
/// A completion is called only after the commit returned: "acknowledged" means durable (see
/// docs/decisions/0014-embedded-sqlite-store.md for what `synchronous=FULL` guarantees).
///
/// Threading: `submit` from any thread; the connection is touched only by the writer thread.
final class StoreWriter: Sendable {
    typealias Body = @Sendable (SQLiteConnection) throws(StoreError) -> Void
    typealias Completion = @Sendable (Result<Void, StoreError>) -> Void

    struct Job {
        let body: Body
        let loop: EventLoop?
        let completion: Completion?
    }

    private let queue: JobQueue<Job>
    private let thread: StoreThread
    /// Transactions committed so far (one per batch).
    let commits = BatchCounter()

    /// Starts the writer thread; it owns `connection` from now on.
    init(connection: sending SQLiteConnection, queueCapacity: Int, maxBatch: Int, onError: @escaping @Sendable (StoreError) -> Void) {
        let queue = JobQueue<Job>(name: "write", capacity: queueCapacity)
        self.queue = queue
        let commits = self.commits
        let owned = UncheckedBox(connection)
        thread = StoreThread {
            let connection = owned.value
            var deliveries = Deliveries()
            while let batch = queue.take(upTo: maxBatch) {
                let results = Self.commit(batch, on: connection)
                commits.value.add(1, ordering: .relaxed)
                for (job, result) in zip(batch, results) {
                    if case .failure(let error) = result, job.completion == nil { onError(error) }
                    guard let completion = job.completion else { continue }
                    deliveries.add({ completion(result) }, on: job.loop)
                }
                deliveries.flush()
            }
        }
    }

    /// Queues a job; when the queue is full or closed, `completion` gets the error on `loop`
    /// right away (still through `execute`, so it never runs inside the caller's stack).
    func submit(_ job: Job) {
        guard let error = queue.push(job) else { return }
        if let completion = job.completion {
            if let loop = job.loop { loop.execute { completion(.failure(error)) } } else { completion(.failure(error)) }
        }
    }

    /// Stops taking jobs, commits those queued, and waits for the thread to end.
    func close() {
        queue.close()
        thread.join()
    }

    var waiting: Int { queue.waiting }

    private static func commit(_ batch: [Job], on connection: SQLiteConnection) -> [Result<Void, StoreError>] {
        do {
            try connection.execute("BEGIN IMMEDIATE")
        } catch {
            return Array(repeating: .failure(error), count: batch.count)
        }
        var results: [Result<Void, StoreError>] = []
        results.reserveCapacity(batch.count)
        for job in batch {
            do {
                try connection.run("SAVEPOINT job")
                do {
                    try job.body(connection)
                    try connection.run("RELEASE job")
                    results.append(.success(()))
                } catch {
                    try connection.run("ROLLBACK TO job")
                    try connection.run("RELEASE job")
                    results.append(.failure(error))
                }
            } catch {
                // The savepoint machinery itself failed: the transaction cannot be trusted.
                try? connection.execute("ROLLBACK")
                return Array(repeating: .failure(error), count: batch.count)
            }
        }
        do {
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            return Array(repeating: .failure(error), count: batch.count)
        }
        return results
    }
}

/// Hands a non-Sendable value to the one thread that will own it from then on.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The writer's batch count, shared between its thread and readers of `Store.writeBatches`.
final class BatchCounter: Sendable {
    let value = Atomic<Int>(0)
}
