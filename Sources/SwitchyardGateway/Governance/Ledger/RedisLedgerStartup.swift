import SwitchyardConfig
import SwitchyardPosix
import SwitchyardRedis

extension RedisLedger {
    /// Everything `redis:` needs at start, for the gateway's assembly: the client (a host name
    /// resolved here, off the loops), one connection per loop (attached now; each connects on
    /// its loop), the ledger over `fallback`, and its figures in `/metrics`. Call once per
    /// process, before traffic; the ledger outlives reloads (a changed `redis:` needs a restart).
    static func start(
        config: RedisConfig, loops: [EventLoop], fallback: any GovernanceLedger, metrics: GatewayMetrics, log: GatewayLog,
        currency: String, clock: LedgerClock
    ) -> RedisLedger {
        let client = RedisClient(settings: RedisSettings(config), log: { up, message in
            if up { log.info(message) } else { log.warn(message) }
        })
        for loop in loops { client.attach(loop) }
        let ledger = RedisLedger(client: client, config: config, fallback: fallback, log: log, currency: currency, clock: clock)
        metrics.register(RedisLedgerMetrics(ledger: ledger))
        log.info("governance: budgets and rate limits shared through redis", fields: [
            ("address", config.address.description), ("on_unavailable", config.onUnavailable.rawValue),
        ])
        return ledger
    }
}
