import SwitchyardStore

/// What every generation is built with and shares, because it lives as long as the process:
/// the log, the store and the files held beside it, the stored-responses store, the pool for
/// blocking hooks, the watchdog's plugin names, and the target-health book (breaker and latency
/// state keyed by target identity), so that a reload keeps the state of unchanged targets.
struct GatewayProcess: Sendable {
    let log: GatewayLog
    let accessLog: Bool
    let store: Store
    let heldFiles: HeldFiles
    let responses: ResponseStore
    let workers: PluginWorkers
    let watched: WatchedPlugins
    let healthBook: TargetHealthBook
    /// Budgets' and rate limits' counters: outlive reloads (a reload forgets no spend, frees no
    /// slot). This process's `LocalLedger`, or with `redis:` the `RedisLedger` over it.
    let ledger: any GovernanceLedger
    /// The ledger's clock (wall time; tests may move it).
    let ledgerClock: LedgerClock
    /// Label and plugin names for the per-loop metric shards (append-only across reloads).
    let metrics: GatewayMetrics
    /// Every virtual key, in memory (loaded from the store at start; the admin API changes it;
    /// with `redis:` the replicas' shared keys first).
    let keys: KeyRegistry
    /// Where usage records go (the loops buffer them; decision 0026).
    let usage: UsageSink
    /// Audit entries not stored because their redaction failed (process-wide count).
    let auditDrops: AuditDrops
}
