import SwitchyardConfig

/// A provider entry's `breaker:` settings in the units `TargetHealth` counts in (nanoseconds).
struct BreakerPolicy: Sendable, Hashable {
    var consecutiveFailures: Int
    var failureRate: Double
    var minimumRequests: Int
    var window: UInt64
    var coolDown: UInt64
    var maxCoolDown: UInt64
    var halfOpenProbes: Int

    init(_ settings: BreakerSettings = BreakerSettings()) {
        consecutiveFailures = settings.consecutiveFailures
        failureRate = settings.failureRate
        minimumRequests = settings.minimumRequests
        window = settings.window.nanoseconds
        coolDown = settings.coolDown.nanoseconds
        maxCoolDown = settings.maxCoolDown.nanoseconds
        halfOpenProbes = settings.halfOpenProbes
    }

    /// The cool-down after `failedProbes` probes failed in a row: doubled each time, capped.
    func coolDown(afterFailedProbes failedProbes: Int) -> UInt64 {
        var wait = coolDown
        for _ in 0..<min(failedProbes, 40) where wait < maxCoolDown { wait = wait &* 2 }
        return min(wait, maxCoolDown)
    }
}
