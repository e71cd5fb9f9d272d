/// A provider entry's circuit breaker (`providers[].breaker`; on by default, `breaker: off`
/// turns it off). One breaker per (provider, upstream model) target (docs/routing.md).
public struct BreakerSettings: Sendable, Hashable {
    /// This many failures in a row open the breaker.
    public var consecutiveFailures = 5
    /// Or this share of failures (0 < rate ≤ 1) ...
    public var failureRate = 0.5
    /// ... among at least this many requests ...
    public var minimumRequests = 20
    /// ... within this window.
    public var window: Duration = .seconds(30)
    /// How long an open breaker refuses before letting probes through (half-open).
    public var coolDown: Duration = .seconds(30)
    /// The cool-down doubles after each failed probe, up to this.
    public var maxCoolDown: Duration = .seconds(300)
    /// Requests let through at once while half-open.
    public var halfOpenProbes = 1

    public init() {}
}
