import SwitchyardRedis

/// The Redis client's and ledger's figures in `GET /metrics` (docs/metrics.md), read at scrape
/// time from atomics, never on the request path. Registered once with `GatewayMetrics.register`
/// by whoever makes the Redis ledger.
final class RedisLedgerMetrics: MetricsGaugeSource {
    let status: RedisStatus
    let counters: RedisLedgerCounters

    init(status: RedisStatus, counters: RedisLedgerCounters) {
        self.status = status
        self.counters = counters
    }

    convenience init(ledger: RedisLedger) { self.init(status: ledger.client.status, counters: ledger.counters) }

    func appendMetrics(to text: inout PrometheusText) {
        text.family("switchyard_redis_up", .gauge, help: "1 when every event loop's Redis connection is up, else 0.")
        text.sample("switchyard_redis_up", [], UInt64(status.isUp ? 1 : 0))
        text.family("switchyard_redis_connections_up", .gauge, help: "Event loops whose Redis connection is up.")
        text.sample("switchyard_redis_connections_up", [], UInt64(status.connectionsUpCount))
        text.family("switchyard_redis_failed_commands_total", .counter, help: "Redis commands that got no reply: sent while down, timed out, or lost with the connection.")
        text.sample("switchyard_redis_failed_commands_total", [], status.failedCommands)
        text.family("switchyard_redis_timeouts_total", .counter, help: "Redis commands past redis.timeout (each drops and remakes the connection).")
        text.sample("switchyard_redis_timeouts_total", [], status.timedOutCommands)
        text.family("switchyard_governance_unavailable_total", .counter, help: "Admissions Redis could not answer, by what on_unavailable did: fail_open admitted locally, fail_closed refused with 503.")
        text.sample("switchyard_governance_unavailable_total", [("policy", "fail_open")], counters.failOpenAdmissions)
        text.sample("switchyard_governance_unavailable_total", [("policy", "fail_closed")], counters.failClosedRefusals)
        text.family("switchyard_redis_settlements_lost_total", .counter, help: "Settlements Redis did not take after a retry (their leases expire; their cost is not counted).")
        text.sample("switchyard_redis_settlements_lost_total", [], counters.settlementsLost)
        text.family("switchyard_redis_lease_releases_total", .counter, help: "Leases of admissions whose Redis answer was lost (timeout, dropped connection), released once Redis answered again.")
        text.sample("switchyard_redis_lease_releases_total", [], counters.releasedLeases)
        text.family("switchyard_redis_lease_releases_dropped_total", .counter, help: "Such releases not kept because 10,000 were already waiting (their leases expire by themselves).")
        text.sample("switchyard_redis_lease_releases_dropped_total", [], counters.droppedLeaseReleases)
    }
}
