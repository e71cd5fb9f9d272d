import Synchronization
import SwitchyardPosix

/// The gateway's embedded database: one SQLite file in WAL mode holding the gateway's own
/// records (docs/decisions/0014-embedded-sqlite-store.md).
///
/// Opening it creates the directory and the file when missing, applies the pending migrations of
/// `StoreSchema` in one transaction, and starts the writer thread and the reader threads. After
/// that, nothing an event loop calls here waits on the disk: `write` and `read` only enqueue, and
/// the result comes back later on the loop named (through `EventLoop.execute`).
///
///     store.write(on: loop, { db throws(StoreError) in
///         try db.run("INSERT INTO things (id, body) VALUES (?, ?)", [.text(id), .blob(bytes)])
///     }, completion: { result in ... })   // on `loop`, after the commit
///
/// Threading: every method is thread-safe. Job bodies run on a store thread, receive a
/// connection they must not keep, and should be short (one record, an indexed lookup): a writer
/// batch holds the write lock while its bodies run.
public final class Store: Sendable {
    /// The database file, as opened.
    public let path: String
    /// The schema version after opening (the number of migrations applied in all).
    public let schemaVersion: Int
    /// The version the file was at before this open (0 for a new file).
    public let openedAtVersion: Int
    private let writer: StoreWriter
    private let readers: StoreReaders
    private let closed = Atomic<Bool>(false)

    /// Opens or creates the store; throws a `StoreError` naming the file (or folder) on failure.
    /// `onError` receives the errors of writes submitted without a completion (to log them); it
    /// runs on the writer thread.
    public init(
        _ options: StoreOptions,
        migrations: [Migration] = StoreSchema.migrations,
        onError: @escaping @Sendable (StoreError) -> Void = { _ in }
    ) throws(StoreError) {
        path = options.path
        try Directory.createParent(of: options.path)
        let connection = try SQLiteConnection(path: options.path, readOnly: false, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
        try Self.configureWriter(connection)
        let outcome = try Migrator.apply(migrations, to: connection)
        schemaVersion = outcome.to
        openedAtVersion = outcome.from
        var readConnections: [SQLiteConnection] = []
        for _ in 0..<max(1, options.readers) {
            let reader = try SQLiteConnection(path: options.path, readOnly: false, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
            // A reader never writes, even through a job's mistake.
            try reader.execute("PRAGMA query_only = ON")
            readConnections.append(reader)
        }
        writer = StoreWriter(connection: connection, queueCapacity: options.writeQueue, maxBatch: options.maxWriteBatch, onError: onError)
        readers = StoreReaders(connections: readConnections, queueCapacity: options.readQueue)
    }

    deinit { close() }

    /// Queues a write. `completion` runs on `loop` after the transaction holding it committed
    /// (success) or with the error (the job threw and was rolled back alone, the commit failed,
    /// the queue was full, the store was closed). With `loop` nil it runs on the writer thread.
    public func write(
        on loop: EventLoop?,
        _ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> Void,
        completion: @escaping @Sendable (Result<Void, StoreError>) -> Void
    ) {
        writer.submit(StoreWriter.Job(body: body, loop: loop, completion: completion))
    }

    /// Queues a write nobody waits for (write-behind); its error, if any, goes to `onError`.
    public func write(_ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> Void) {
        writer.submit(StoreWriter.Job(body: body, loop: nil, completion: nil))
    }

    /// Runs `body` on a reader thread and waits for its result. For start-up and tools only:
    /// it blocks the calling thread, so never call it on an event loop.
    public func readWaiting<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> Value) throws(StoreError) -> Value {
        let lock = ConditionLock()
        let outcome = Mutex<Result<Value, StoreError>?>(nil)
        read(on: nil, body) { result in
            lock.withLock {
                outcome.withLock { $0 = result }
                lock.broadcast()
            }
        }
        return try lock.withLock {
            while outcome.withLock({ $0 }) == nil { lock.wait() }
            return outcome.withLock { $0! }
        }.get()
    }

    /// Runs `body` on a reader thread and hands its result to `completion` on `loop` (on the
    /// reader thread when `loop` is nil). Reads see every write whose completion has run.
    public func read<Value: Sendable>(
        on loop: EventLoop?,
        _ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> Value,
        completion: @escaping @Sendable (Result<Value, StoreError>) -> Void
    ) {
        readers.submit(StoreReaders.Job(
            body: { connection in
                let result: Result<Value, StoreError>
                do throws(StoreError) { result = .success(try body(connection)) } catch { result = .failure(error) }
                return { completion(result) }
            },
            loop: loop,
            refused: { error in completion(.failure(error)) }))
    }

    /// Write jobs waiting for the writer (diagnostics, tests).
    public var pendingWrites: Int { writer.waiting }

    /// Write transactions the writer has finished (committed or not): with `write` called N
    /// times this grows by far less than N under load, which is the batching.
    public var writeBatches: Int { writer.commits.value.load(ordering: .relaxed) }

    /// Commits the writes already queued, runs the queued reads, stops the threads and closes
    /// the file. Later calls to `write` / `read` fail with `closed`. Idempotent; call it after
    /// the event loops stopped (completions for stopped loops are never run).
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        writer.close()
        readers.close()
    }

    /// WAL: readers never block the writer nor the writer them; synchronous=FULL: a committed
    /// transaction survives a power loss, not only a process crash (decision 0014).
    private static func configureWriter(_ connection: SQLiteConnection) throws(StoreError) {
        let mode: SQLValue?
        do {
            mode = try connection.scalar("PRAGMA journal_mode = WAL")
        } catch {
            throw StoreError(.cannotOpen, "cannot open the store database \(connection.path): \(error.message)", sqliteCode: error.sqliteCode)
        }
        guard mode == .text("wal") else {
            throw StoreError(.cannotOpen, "the store database \(connection.path) cannot use WAL mode (journal_mode is \(mode.map { "\($0)" } ?? "unknown")); put it on a local file system")
        }
        try connection.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON")
    }
}
