/// How a strategy orders the targets of a model or model group (docs/routing.md).
public enum RoutingStrategy: String, Sendable, Equatable, CaseIterable {
    /// One target, no failover.
    case single
    /// The targets in config order (a plain model: its providers in config order).
    case fallback
    /// The first picked at random by weight, the rest in weighted order as fallbacks.
    case weighted
    /// Lowest latency average first (time to first token for streams), with exploration.
    case leastLatency = "least_latency"
    /// Cheapest by the `pricing:` catalog first.
    case cost
    /// The targets of the first rule whose conditions (headers, fields, metadata) all hold.
    case conditional
    /// The targets of the first rule whose regex or keywords match the messages' text.
    case content
    /// A variant picked by weight (sticky per client key or header), then its targets.
    case ab
}

/// One target the planner looked at, in the order it looked: kept (an attempt) or skipped.
public struct RoutingCandidate: Sendable, Equatable {
    public let provider: String
    /// The name the provider receives (after public → upstream mapping).
    public let model: String
    /// Why it is not an attempt (`circuit_open`, `unsupported_operation`, `no_price`); nil = kept.
    public let skip: String?

    public init(provider: String, model: String, skip: String?) {
        self.provider = provider
        self.model = model
        self.skip = skip
    }
}

/// What routing decided for one request: the plan's record of strategy, group, variant and the
/// candidates in the order considered. A plain model whose providers were all kept carries
/// `RoutingRecord.plain` (no candidate list: the attempts are the whole story, and the bare
/// path allocates nothing for it).
public struct RoutingRecord: Sendable, Equatable {
    public let strategy: RoutingStrategy
    /// The model group the request named (after aliases); nil for a plain model.
    public let group: String?
    /// The A/B variant chosen; nil unless the strategy is `ab`.
    public let variant: String?
    /// Every candidate in the order considered, kept or skipped; empty for `plain`.
    public let candidates: [RoutingCandidate]

    public init(strategy: RoutingStrategy, group: String?, variant: String? = nil, candidates: [RoutingCandidate]) {
        self.strategy = strategy
        self.group = group
        self.variant = variant
        self.candidates = candidates
    }

    /// A plain model's providers in config order, none skipped.
    public static let plain = RoutingRecord(strategy: .fallback, group: nil, candidates: [])

    /// True when some candidate was skipped.
    public var skippedAny: Bool { candidates.contains { $0.skip != nil } }
}

/// Where an attempt's outcome goes: the health (circuit breaker, latency average) of the target
/// it called. Implemented by the gateway's `TargetHealth`; shared by every event loop, so
/// implementations are lock-free and thread-safe.
public protocol AttemptOutcomeRecorder: AnyObject, Sendable {
    /// One attempt ended (`now`: monotonic nanoseconds). `latency`: nanoseconds for the latency
    /// average (0 = no sample). Returns the breaker's state change, for the caller to log once.
    func record(_ outcome: AttemptOutcome, latency: UInt64, now: UInt64) -> BreakerTransition?
    /// A latency sample alone (a stream's time to first token, taken when it arrives).
    func recordLatency(_ nanoseconds: UInt64)
}

/// A circuit breaker's state change.
public enum BreakerTransition: String, Sendable, Equatable {
    /// Closed → open: failures crossed a threshold.
    case opened
    /// Half-open → open: a probe failed (the cool-down doubles).
    case reopened
    /// Half-open → closed: a probe succeeded.
    case closed
}

/// How an attempt ended, for its target's breaker.
public enum AttemptOutcome: Sendable, Equatable {
    case success
    /// A connect error, a timeout, a 5xx or a 429.
    case failure
    /// Says nothing about the target's health (a client error, a plugin refusal): a half-open
    /// probe slot is given back, nothing else changes.
    case neutral
}
