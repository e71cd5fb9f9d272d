import SwitchyardConfig

/// Why one try failed, in the words of `providers[].retry.on`.
enum RetryCause: Equatable {
    /// The upstream answered with this HTTP status.
    case status(Int)
    /// No connection (refused, unresolved, TLS failed) or closed before a response head.
    case connect
    /// One of the upstream timeouts fired.
    case timeout
    /// Anything else (a plugin's own failure, a stream cut after its head): never retried on
    /// the same target.
    case other
}

/// What to do after a failed try.
enum RetryDecision: Equatable {
    /// Try the same target again after this many nanoseconds.
    case retry(afterNanoseconds: UInt64)
    /// Go on: the next target of the plan if the failure allows a failover, else the error.
    case moveOn
}

/// One provider's retry rule, in the request path's units (nanoseconds), decided without side
/// effects: the caller gives the clock, the deadline and the random source, so a test replays
/// any decision with a seeded generator. Immutable, shared by every loop.
struct RetryPolicy: Sendable, Equatable {
    let attempts: Int
    let statuses: [Int]
    let onConnect: Bool
    let onTimeout: Bool
    let initialBackoff: UInt64
    let maxBackoff: UInt64
    let retryAfterCap: UInt64

    init(_ config: RetryConfig) {
        attempts = config.attempts
        statuses = config.statuses
        onConnect = config.onConnect
        onTimeout = config.onTimeout
        initialBackoff = config.initialBackoff.nanoseconds
        maxBackoff = config.maxBackoff.nanoseconds
        retryAfterCap = config.retryAfterCap.nanoseconds
    }

    func covers(_ cause: RetryCause) -> Bool {
        switch cause {
        case .status(let status): statuses.contains(status)
        case .connect: onConnect
        case .timeout: onTimeout
        case .other: false
        }
    }

    /// The longest backoff before retry number `retriesDone + 1`: `initial × 2^retriesDone`,
    /// at most `max`.
    func backoffCeiling(retriesDone: Int) -> UInt64 {
        guard retriesDone < 63 else { return maxBackoff }
        let (doubled, overflow) = initialBackoff.multipliedReportingOverflow(by: UInt64(1) << UInt64(retriesDone))
        return overflow ? maxBackoff : min(doubled, maxBackoff)
    }

    /// After a failed try: retry here after a wait, or move on.
    ///
    /// - `retriesDone`: retries already made on this target.
    /// - `retryAfter`: the upstream's (or the plugin's) wait in nanoseconds, when it said one.
    ///   Longer than `retryAfterCap`: no retry here (another target may answer at once).
    /// - `now`, `deadline`: monotonic nanoseconds; `deadline` 0 = none. A wait that would end
    ///   at or past the deadline is not taken.
    func decide<Random: RandomNumberGenerator>(
        cause: RetryCause, retriesDone: Int, retryAfter: UInt64?, now: UInt64, deadline: UInt64, random: inout Random
    ) -> RetryDecision {
        guard retriesDone < attempts, covers(cause) else { return .moveOn }
        let wait: UInt64
        if let retryAfter {
            guard retryAfter <= retryAfterCap else { return .moveOn }
            wait = retryAfter
        } else {
            // Full jitter: uniform in [0, ceiling], so retries of many clients spread out.
            wait = UInt64.random(in: 0...backoffCeiling(retriesDone: retriesDone), using: &random)
        }
        if deadline != 0, now &+ wait >= deadline { return .moveOn }
        return .retry(afterNanoseconds: wait)
    }
}
