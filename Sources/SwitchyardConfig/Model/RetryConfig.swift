/// `providers[].retry`: how often one target is tried again before the next target of the plan
/// is (docs/retries.md). Absent = no retries on that provider (each target is tried once).
public struct RetryConfig: Sendable, Hashable {
    /// Retries after the first try, on this target.
    public var attempts: Int
    /// HTTP statuses of the upstream's answer that are retried.
    public var statuses: [Int]
    /// A connection that could not be made (refused, unresolved, TLS failed, closed before a
    /// response head) is retried.
    public var onConnect: Bool
    /// A timeout (connect, first byte, idle, total) is retried.
    public var onTimeout: Bool
    /// The first backoff; each next one doubles, up to `maxBackoff`; each wait is drawn
    /// uniformly from zero to that value (full jitter).
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// A `Retry-After` longer than this is not waited for here: the next target is tried at once.
    public var retryAfterCap: Duration

    /// What `on:` means when a `retry:` block leaves it out.
    public static let defaultStatuses = [429, 500, 502, 503, 504]

    public init(attempts: Int = 0, statuses: [Int] = RetryConfig.defaultStatuses, onConnect: Bool = true, onTimeout: Bool = true,
                initialBackoff: Duration = .milliseconds(200), maxBackoff: Duration = .seconds(5), retryAfterCap: Duration = .seconds(10)) {
        self.attempts = attempts
        self.statuses = statuses
        self.onConnect = onConnect
        self.onTimeout = onTimeout
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.retryAfterCap = retryAfterCap
    }
}
