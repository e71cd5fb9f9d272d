import SwitchyardConfig
import SwitchyardPosix
import SwitchyardRedis

extension RedisLedger {
    /// Everything `redis:` needs at start, for the gateway's assembly: the client (a host name
    /// resolved here, off the loops), the ledger over `fallback`, and its figures in `/metrics`.
    /// No connection yet: `attach(_:)` once the loops exist. Call once per process, before
    /// traffic; the ledger outlives reloads (a changed `redis:` needs a restart).
    static func make(
        config: RedisConfig, fallback: any GovernanceLedger, metrics: GatewayMetrics, log: GatewayLog, currency: String, clock: LedgerClock
    ) -> RedisLedger {
        let client = RedisClient(settings: RedisSettings(config), log: { up, message in
            if up { log.info(message) } else { log.warn(message) }
        })
        let ledger = RedisLedger(client: client, config: config, fallback: fallback, log: log, currency: currency, clock: clock)
        metrics.register(RedisLedgerMetrics(ledger: ledger))
        return ledger
    }

    /// One connection per loop (each connects on its loop).
    func attach(_ loops: [EventLoop]) {
        for loop in loops { client.attach(loop) }
    }
}
