/// When a crashed runner starts again, and when it does not: the backoff doubles from `initial`
/// to `maximum` with each crash in a row (a runner that stayed up `stableAfter` starts the count
/// again), and more than `maxRestarts` restarts within `window` disable the plugin until the
/// next config reload (a plugin that crashes at every start would otherwise burn CPU forever,
/// and every request routed to it would wait on a runner that never stays up).
///
/// Pure arithmetic over monotonic nanoseconds, so the unit tests can drive it; the supervisor
/// thread owns one.
struct RestartPolicy {
    var initialNanoseconds: UInt64 = 100_000_000
    var maximumNanoseconds: UInt64 = 5_000_000_000
    var stableAfterNanoseconds: UInt64 = 10_000_000_000
    var maxRestarts: Int
    var windowNanoseconds: UInt64

    /// Crashes since the runner last stayed up `stableAfter`.
    private(set) var consecutive = 0
    /// When each restart within the window happened.
    private(set) var restarts: [UInt64] = []

    init(maxRestarts: Int, windowNanoseconds: UInt64) {
        self.maxRestarts = maxRestarts
        self.windowNanoseconds = windowNanoseconds
    }

    enum Decision: Equatable {
        case restart(afterNanoseconds: UInt64)
        /// Too many restarts within the window: `count` of them.
        case disable(count: Int)
    }

    /// A runner that started at `startedAt` ended at `now`: restart it (after how long) or not.
    mutating func runnerEnded(startedAt: UInt64, now: UInt64) -> Decision {
        if now &- startedAt >= stableAfterNanoseconds { consecutive = 0 }
        consecutive += 1
        restarts.removeAll { now &- $0 > windowNanoseconds }
        guard restarts.count < maxRestarts else { return .disable(count: restarts.count + 1) }
        restarts.append(now)
        return .restart(afterNanoseconds: delay(consecutive))
    }

    /// The backoff before the `n`th restart in a row (n >= 1): initial × 2^(n-1), at most maximum.
    func delay(_ n: Int) -> UInt64 {
        let doublings = max(0, n - 1)
        guard doublings < 40 else { return maximumNanoseconds }
        let (value, overflow) = initialNanoseconds.multipliedReportingOverflow(by: 1 << UInt64(doublings))
        return overflow ? maximumNanoseconds : min(value, maximumNanoseconds)
    }
}
