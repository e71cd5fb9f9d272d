import SwitchyardStore

/// Where usage records go, for the whole process (outlives reloads): the store, the log that
/// reports lost records, and their count. Sendable; shared by every loop's `UsageBuffer`.
final class UsageSink: Sendable {
    let store: Store
    let log: GatewayLog
    let drops = UsageDrops()

    init(store: Store, log: GatewayLog) {
        self.store = store
        self.log = log
    }

    /// Counts `count` records lost and logs it (at most once every 10 s).
    func dropped(_ count: Int, reason: String) {
        guard drops.add(count, now: RetentionSweep.now()) else { return }
        log.warn("usage records dropped", fields: [("records", String(count)), ("reason", reason), ("total_dropped", String(drops.total))])
    }
}
