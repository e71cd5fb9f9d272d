import SwitchyardPosix

/// Threads that run read jobs off the event loops, each on its own read connection (WAL lets
/// them read while the writer writes), and hand the results back to the loop that asked.
///
/// Threading: `submit` from any thread; each connection is touched only by its thread.
final class StoreReaders: Sendable {
    /// Runs the read on a store thread and returns what to call on the caller's loop.
    typealias Body = @Sendable (SQLiteConnection) -> @Sendable () -> Void

    struct Job {
        let body: Body
        let loop: EventLoop?
        /// Called instead of the body when the job cannot be queued.
        let refused: @Sendable (StoreError) -> Void
    }

    private let queue: JobQueue<Job>
    private let threads: [StoreThread]

    /// Starts one thread per connection; each owns its connection from now on.
    init(connections: sending [SQLiteConnection], queueCapacity: Int) {
        let queue = JobQueue<Job>(name: "read", capacity: queueCapacity)
        self.queue = queue
        threads = connections.map { connection in
            let owned = UncheckedBox(connection)
            return StoreThread {
                let connection = owned.value
                var deliveries = Deliveries()
                // Small batches: one slow read should not hold many others behind it.
                while let batch = queue.take(upTo: 8) {
                    for job in batch { deliveries.add(job.body(connection), on: job.loop) }
                    deliveries.flush()
                }
            }
        }
    }

    func submit(_ job: Job) {
        guard let error = queue.push(job) else { return }
        if let loop = job.loop { loop.execute { job.refused(error) } } else { job.refused(error) }
    }

    /// Stops taking jobs, runs those queued, and waits for the threads to end.
    func close() {
        queue.close()
        for thread in threads { thread.join() }
    }
}
