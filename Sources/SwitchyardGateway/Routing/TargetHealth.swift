import SwitchyardCore
import Synchronization

/// The health of one target (a provider instance and the upstream model it is called with): its
/// circuit breaker and its latency average. One object per target, shared by every event loop
/// and carried across config reloads for unchanged targets (`TargetHealthBook`).
///
/// Threading: lock-free; any thread. The planner looks with `mayAdmit` at each candidate (one
/// atomic load while closed); the executor claims the target with `admit` when a try starts
/// and reports the try's end with `record` (one call each). A
/// state change is won by one compare-exchange, so exactly one caller learns of each transition
/// (and logs it).
public final class TargetHealth: AttemptOutcomeRecorder, @unchecked Sendable {  // atomics only
    public enum State: UInt8, Sendable {
        case closed = 0
        case open = 1
        case halfOpen = 2

        public var name: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half_open"
            }
        }
    }

    public let provider: String
    public let model: String
    /// nil = `breaker: off`: always admits; only latency is kept.
    let policy: BreakerPolicy?

    /// state (bits 0-1), probes in flight (bits 2-17), failed probes in a row (bits 18-25).
    private let word = Atomic<UInt64>(0)
    /// Open: when probes may start. Half-open: when an unreported probe counts as lost.
    private let deadline = Atomic<UInt64>(0)
    private let consecutive = Atomic<Int>(0)
    private let window: FailureWindow
    /// The latency average (Double bits; 0 = no sample yet).
    private let latency = Atomic<UInt64>(0)

    /// Weight of a new latency sample in the average.
    static let smoothing = 0.3

    init(provider: String, model: String, policy: BreakerPolicy?) {
        self.provider = provider
        self.model = model
        self.policy = policy
        window = FailureWindow(window: policy?.window ?? 1)
    }

    public var state: State { State(rawValue: UInt8(word.load(ordering: .acquiring) & 3)) ?? .closed }
    public var consecutiveFailures: Int { consecutive.load(ordering: .relaxed) }
    /// Nanoseconds; 0 when no sample has been recorded.
    public var averageLatency: Double { Double(bitPattern: latency.load(ordering: .relaxed)) }

    /// The planner's look, claiming nothing: false while the breaker is open and its cool-down
    /// runs, or half-open with every probe out; true otherwise (`admit` decides when the try
    /// starts, so a fallback never tried holds no probe).
    @inline(__always)
    func mayAdmit(_ now: @autoclosure () -> UInt64) -> Bool {
        let current = word.load(ordering: .acquiring)
        if current & 3 == 0 { return true }
        guard let policy else { return true }
        let until = deadline.load(ordering: .acquiring)
        if current & 3 == 1 { return now() >= until }
        return (current >> 2) & 0xFFFF < UInt64(policy.halfOpenProbes) || now() >= until
    }

    /// Claims the target for a try starting now. Closed: a normal try. Open: refused until the
    /// cool-down has passed, then the caller becomes a half-open probe. Half-open: a probe while
    /// fewer than the policy's probes are out (a probe that never reports is given up after the
    /// cool-down).
    @inline(__always)
    public func admit(_ now: @autoclosure () -> UInt64) -> Admission? {
        let current = word.load(ordering: .acquiring)
        if current & 3 == 0 { return .normal }
        return admitSlowly(current, now: now())
    }

    /// `admit` as a yes or no (tests, and callers that do not report back).
    func admits(_ now: UInt64) -> Bool { admit(now) != nil }

    private func admitSlowly(_ observed: UInt64, now: UInt64) -> Admission? {
        guard let policy else { return .normal }
        var current = observed
        while true {
            let state = current & 3
            let probes = (current >> 2) & 0xFFFF
            let failedProbes = current >> 18
            let until = deadline.load(ordering: .acquiring)
            var next: UInt64
            switch state {
            case 0:
                return .normal
            case 1:
                guard now >= until else { return nil }
                next = 2 | 1 << 2 | failedProbes << 18
            default:
                let stale = now >= until
                guard probes < UInt64(policy.halfOpenProbes) || stale else { return nil }
                next = 2 | (stale ? 1 : probes + 1) << 2 | failedProbes << 18
            }
            let (exchanged, original) = word.compareExchange(expected: current, desired: next, ordering: .acquiringAndReleasing)
            if exchanged {
                deadline.store(now &+ policy.coolDown, ordering: .releasing)
                return .probe
            }
            current = original
        }
    }

    public var isOpen: Bool { word.load(ordering: .acquiring) & 3 == 1 }

    /// Seconds until this target lets a probe through (0 when it admits now).
    public func secondsUntilProbe(now: UInt64) -> Int {
        let current = word.load(ordering: .acquiring)
        guard current & 3 == 1 else { return current & 3 == 0 ? 0 : Int(((policy?.coolDown ?? 0) + 999_999_999) / 1_000_000_000) }
        let until = deadline.load(ordering: .acquiring)
        return until > now ? Int((until - now + 999_999_999) / 1_000_000_000) : 0
    }

    public func recordLatency(_ nanoseconds: UInt64) {
        if nanoseconds > 0 { addLatency(Double(nanoseconds)) }
    }

    /// Success: the latency sample, failures in a row reset, a half-open breaker closes.
    /// Failure: counted; the thresholds may open a closed breaker, and a failed probe reopens it
    /// with a doubled cool-down. Neutral: a probe's slot is given back. Only a `.probe` moves a
    /// half-open breaker: a try let through before it opened reports late and says nothing of
    /// the target now (`admission` defaults to `.normal` for tests of a closed breaker).
    @discardableResult
    public func record(_ outcome: AttemptOutcome, admission: Admission = .normal, latency sample: UInt64, now: UInt64) -> BreakerTransition? {
        if outcome == .success, sample > 0 { addLatency(Double(sample)) }
        guard let policy else { return nil }
        let probe = admission == .probe
        switch outcome {
        case .success:
            consecutive.store(0, ordering: .relaxed)
            window.add(failed: false, now: now)
            guard probe else { return nil }
            return transition(from: 2, { _ in 0 }) == nil ? nil : closedNow()
        case .failure:
            let failures = consecutive.add(1, ordering: .relaxed).newValue
            window.add(failed: true, now: now)
            if probe, let previous = transition(from: 2, { current in 1 | ((current >> 18) + 1 & 0xFF) << 18 }) {
                deadline.store(now &+ policy.coolDown(afterFailedProbes: Int((previous >> 18) + 1)), ordering: .releasing)
                return .reopened
            }
            guard tripped(policy, failures: failures, now: now), transition(from: 0, { _ in 1 }) != nil else { return nil }
            deadline.store(now &+ policy.coolDown, ordering: .releasing)
            return .opened
        case .neutral:
            guard probe else { return nil }
            var current = word.load(ordering: .acquiring)
            while current & 3 == 2, (current >> 2) & 0xFFFF > 0 {
                let (exchanged, original) = word.compareExchange(expected: current, desired: current - (1 << 2), ordering: .acquiringAndReleasing)
                if exchanged { break }
                current = original
            }
            return nil
        }
    }

    private func closedNow() -> BreakerTransition {
        consecutive.store(0, ordering: .relaxed)
        window.clear()
        return .closed
    }

    /// Consecutive failures, or the failure rate over the window, say open.
    private func tripped(_ policy: BreakerPolicy, failures: Int, now: UInt64) -> Bool {
        if failures >= policy.consecutiveFailures { return true }
        let counts = window.counts(now: now)
        return counts.requests >= policy.minimumRequests && Double(counts.failures) >= policy.failureRate * Double(counts.requests)
    }

    /// Moves from `state` to `next(current)` if the breaker is in `state`; the word it replaced, or nil.
    private func transition(from state: UInt64, _ next: (UInt64) -> UInt64) -> UInt64? {
        var current = word.load(ordering: .acquiring)
        while current & 3 == state {
            let (exchanged, original) = word.compareExchange(expected: current, desired: next(current), ordering: .acquiringAndReleasing)
            if exchanged { return current }
            current = original
        }
        return nil
    }

    private func addLatency(_ sample: Double) {
        var current = latency.load(ordering: .relaxed)
        while true {
            let average = Double(bitPattern: current)
            let next = average == 0 ? sample : average + Self.smoothing * (sample - average)
            let (exchanged, original) = latency.compareExchange(expected: current, desired: next.bitPattern, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}
