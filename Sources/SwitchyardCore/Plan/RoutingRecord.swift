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

    /// The record with `attempt` skipped for `reason` after planning (its breaker refused the
    /// try when it was to start). A `plain` record gets its candidate list from `attempts`.
    public func skipping(_ attempt: Attempt, reason: String, attempts: [Attempt]) -> RoutingRecord {
        var listed = candidates.isEmpty ? attempts.map { RoutingCandidate(provider: $0.provider, model: $0.upstreamModel, skip: nil) } : candidates
        if let index = listed.firstIndex(where: { $0.skip == nil && $0.provider == attempt.provider && $0.model == attempt.upstreamModel }) {
            listed[index] = RoutingCandidate(provider: attempt.provider, model: attempt.upstreamModel, skip: reason)
        }
        return RoutingRecord(strategy: strategy, group: group, variant: variant, candidates: listed)
    }
}

/// Where an attempt's outcome goes: the health (circuit breaker, latency average) of the target
/// it called. Implemented by the gateway's `TargetHealth`; shared by every event loop, so
/// implementations are lock-free and thread-safe.
public protocol AttemptOutcomeRecorder: AnyObject, Sendable {
    /// Claims the target for a try that starts now (`now`: monotonic nanoseconds, read only when
    /// the breaker is not closed): how it was let through, or nil when its breaker refuses it.
    /// A claim is ended by exactly one `record` with the same admission.
    func admit(_ now: @autoclosure () -> UInt64) -> Admission?
    /// One try ended. `latency`: nanoseconds for the latency average (0 = no sample). Only a
    /// `.probe`'s outcome moves a half-open breaker. Returns the state change, to log once.
    func record(_ outcome: AttemptOutcome, admission: Admission, latency: UInt64, now: UInt64) -> BreakerTransition?
    /// A latency sample alone (a stream's time to first token, taken when it arrives).
    func recordLatency(_ nanoseconds: UInt64)
    /// The breaker is open (not half-open): no try goes to the target until its cool-down ends.
    var isOpen: Bool { get }
    /// Seconds until the target lets a probe through (0 when it admits now).
    func secondsUntilProbe(now: UInt64) -> Int
}

/// How a try was let through to its target.
public enum Admission: Sendable, Equatable {
    /// The breaker was closed.
    case normal
    /// One of a half-open breaker's probes: its outcome closes or reopens the breaker.
    case probe
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
    /// A connect error, a timeout or a 5xx.
    case failure
    /// Says nothing about the target's health (a 429, a plugin refusal, a try abandoned by the
    /// client or shutdown): a probe's slot is given back, nothing else changes.
    case neutral
}
