import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardPlugins
import SwitchyardPosix

/// Each attempt's outcome goes to its target's health (circuit breaker and latency average),
/// once, where the attempt ends (`conclude`); a stream's latency sample is its time to first
/// token, taken when the first chunk goes out (`startStream`). On the request's loop.
extension PlanExecutor {
    func recordAttemptOutcome(_ failure: PluginFailure?) {
        let attempt = plan.attempts[attemptIndex]
        guard let health = attempt.health else { return }
        let now = monotonicNanoseconds()
        // A provider answering in-process has no upstream latency to learn from.
        let timed = provider?.answersLocally == false && upstreamStartedAt >= request.receivedAt && !plan.stream
        let outcome = Self.outcome(of: failure)
        guard let transition = health.record(outcome, latency: timed && outcome == .success ? now &- upstreamStartedAt : 0, now: now) else { return }
        let message = switch transition {
        case .opened: "circuit breaker opened: target skipped until its cool-down ends"
        case .reopened: "circuit breaker probe failed: target skipped for a longer cool-down"
        case .closed: "circuit breaker closed: probe succeeded, target back in use"
        }
        services.log.warn(message, requestID: plan.requestID, fields: [
            ("provider", attempt.provider), ("model", attempt.upstreamModel), ("breaker", transition.rawValue),
        ])
    }

    func recordFirstToken() {
        guard let health = plan.attempts[attemptIndex].health, provider?.answersLocally == false, upstreamStartedAt >= request.receivedAt else { return }
        health.recordLatency(monotonicNanoseconds() &- upstreamStartedAt)
    }

    /// What counts against a target: it could not be reached, timed out, failed (5xx) or is
    /// throttling (429). A 4xx it answered is a client error (the target works); a cancelled
    /// attempt or a plugin's refusal says nothing about it.
    static func outcome(of failure: PluginFailure?) -> AttemptOutcome {
        guard let failure else { return .success }
        switch failure.status {
        case SY_E_TIMEOUT:
            return .failure
        case SY_E_UPSTREAM:
            let status = failure.httpStatus
            return status == 0 || status >= 500 || status == 429 ? .failure : .success
        default:
            return .neutral
        }
    }
}
