/// How to open the store: what `store:` in the config says, resolved (an absolute or
/// working-directory-relative path), plus knobs tests turn.
public struct StoreOptions: Sendable, Hashable {
    /// The database file; its directory is created when missing.
    public var path: String
    /// How long a connection waits for another process's lock before failing (SQLITE_BUSY).
    public var busyTimeoutMilliseconds: Int32 = 5_000
    /// Write jobs that may wait for the writer; beyond them a write fails with `queueFull`.
    public var writeQueue = 10_000
    /// Most write jobs committed in one transaction.
    public var maxWriteBatch = 512
    /// Read threads, one read connection each.
    public var readers = 2
    /// Read jobs that may wait; beyond them a read fails with `queueFull`.
    public var readQueue = 10_000

    public init(path: String) { self.path = path }
}
