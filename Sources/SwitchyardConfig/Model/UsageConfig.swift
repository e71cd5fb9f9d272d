/// The `usage:` section (docs/governance.md, "Usage and cost"): whether every planned request
/// leaves a usage record in the store, and how long records are kept.
public struct UsageConfig: Sendable, Equatable {
    /// Record one row per planned request (and per batch result line). Default: on when keys
    /// are required, else off (see `UsageSection.decode`).
    public var record: Bool
    /// Records older than this are deleted by a periodic pass off the event loops.
    public var retention: Duration

    public static let defaultRetention: Duration = .seconds(90 * 86_400)

    public init(record: Bool = false, retention: Duration = UsageConfig.defaultRetention) {
        self.record = record
        self.retention = retention
    }
}
