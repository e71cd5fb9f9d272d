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

    public init(path: String = StoreConfig.defaultPath) { self.path = path }
}
