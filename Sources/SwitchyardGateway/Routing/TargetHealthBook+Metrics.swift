/// The breakers in `GET /metrics`: one gauge per target of the installed routing tables (the
/// book forgets targets a reload dropped). Read under the book's own lock at scrape time, never
/// on the request path.
extension TargetHealthBook: MetricsGaugeSource {
    public func appendMetrics(to text: inout PrometheusText) {
        let targets = entries()
        text.family("switchyard_circuit_breaker_state", .gauge,
                    help: "Circuit breaker of each target: 0 closed, 1 half-open (probing), 2 open (skipped without a connection).")
        for target in targets {
            text.sample("switchyard_circuit_breaker_state", [("provider", target.provider), ("model", target.model)], UInt64(Self.gaugeValue(target.state)))
        }
        text.family("switchyard_circuit_breaker_consecutive_failures", .gauge,
                    help: "Failures in a row of each target since its last success.")
        for target in targets {
            text.sample("switchyard_circuit_breaker_consecutive_failures", [("provider", target.provider), ("model", target.model)], UInt64(target.consecutiveFailures))
        }
    }

    /// Ordered by how bad it is, so `max by (provider)` reads as the worst of a provider's targets.
    static func gaugeValue(_ state: TargetHealth.State) -> Int {
        switch state {
        case .closed: 0
        case .halfOpen: 1
        case .open: 2
        }
    }
}
