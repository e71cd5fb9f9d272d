/// The `store:` section: where the embedded SQLite store keeps the gateway's own records
/// (docs/decisions/0014-embedded-sqlite-store.md). Defaults are the stored property values.
public struct StoreConfig: Sendable, Hashable {
    /// Where `path` points when the config does not say: a data folder beside the config file
    /// (for the embedded config, which has no file, beside the working directory).
    public static let defaultPath = "switchyard-data/switchyard.db"

    /// The database file, resolved: a relative `path` is taken from the folder of the config
    /// file; for a config without a file (the embedded default, `parse`) from the working
    /// directory, so it stays relative here.
    public var path: String
    /// How long the store waits for a lock another process holds on the file before failing.
    public var busyTimeout: Duration = .seconds(5)
    /// Writes that may wait for the store's writer thread; beyond them a write fails at once.
    public var writeQueue = 10_000
    /// How long and how many stored responses are kept (`store.responses`).
    public var responses = StoredResponsesRetention()

    public init(path: String = StoreConfig.defaultPath) { self.path = path }
}

/// `store.responses:`: the retention of stored responses (`/v1/responses` with `store` on).
/// A response older than `maxAge` is no longer found and is deleted; past `maxCount` the oldest
/// are deleted (within a minute of going over).
public struct StoredResponsesRetention: Sendable, Hashable {
    /// The default age bound: 30 days.
    public static let defaultMaxAge: Duration = .seconds(30 * 24 * 3600)
    public var maxAge: Duration = StoredResponsesRetention.defaultMaxAge
    public var maxCount = 1_000_000

    public init() {}
}
