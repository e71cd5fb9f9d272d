import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardPlugins
import SwitchyardPosix

/// Each try claims its target when it starts (`claimTarget`: the breaker may refuse it, and a
/// half-open breaker's probe is taken then, not at plan time) and reports its outcome once:
/// where the try ends (`conclude`), as a timeout when the request deadline cuts it off, and as
/// neutral when the request ends without an outcome (client gone, shutdown, a refusal before
/// the upstream was called). A stream's latency sample is its time to first token, taken when
/// the first chunk goes out (`startStream`). On the request's loop.
extension PlanExecutor {
    /// Claims the current attempt's target for the try that starts now; false when its breaker
    /// refused it, after the attempt was skipped (the next attempt runs, or the request is
    /// answered 503 `circuit_open`).
    @inline(__always)
    func claimTarget(_ attempt: Attempt) -> Bool {
        guard let health = attempt.health else { return true }
        guard let admitted = health.admit(monotonicNanoseconds()) else {
            skipRefusedAttempt(attempt, health: health)
            return false
        }
        admission = admitted
        return true
    }

    /// The attempt's breaker opened (or its probes are all out) between planning and its start:
    /// it is skipped as the planner would have skipped it, logged and recorded in `skipped=`.
    @inline(never)
    private func skipRefusedAttempt(_ attempt: Attempt, health: any AttemptOutcomeRecorder) {
        services.log.warn("circuit open at attempt start, target skipped", requestID: plan.requestID,
                          fields: [("provider", attempt.provider), ("model", attempt.upstreamModel)])
        routingAtStart = (routingAtStart ?? plan.routing).skipping(attempt, reason: "circuit_open", attempts: plan.attempts)
        if attemptIndex + 1 < plan.attempts.count { return skipToNextAttempt() }
        let wait = max(health.secondsUntilProbe(now: monotonicNanoseconds()), 1)
        retryAfter = String(wait)
        respond(gatewayError: GatewayError.circuitOpen(
            "Provider \(attempt.provider) is failing and temporarily not used (circuit open); retry after \(wait) s.", retryAfter: wait),
                failure: "circuit open at attempt start")
    }

    func recordAttemptOutcome(_ failure: PluginFailure?) {
        guard let admitted = admission else { return }
        admission = nil
        let attempt = plan.attempts[attemptIndex]
        guard let health = attempt.health else { return }
        let now = monotonicNanoseconds()
        // A provider answering in-process has no upstream latency to learn from.
        let timed = provider?.answersLocally == false && upstreamStartedAt >= request.receivedAt && !plan.stream
        let outcome = Self.outcome(of: failure)
        let sample = timed && outcome == .success ? now &- upstreamStartedAt : 0
        guard let transition = health.record(outcome, admission: admitted, latency: sample, now: now) else { return }
        let message = switch transition {
        case .opened: "circuit breaker opened: target skipped until its cool-down ends"
        case .reopened: "circuit breaker probe failed: target skipped for a longer cool-down"
        case .closed: "circuit breaker closed: probe succeeded, target back in use"
        }
        services.log.warn(message, requestID: plan.requestID, fields: [
            ("provider", attempt.provider), ("model", attempt.upstreamModel), ("breaker", transition.rawValue),
        ])
    }

    /// The request ends with the current try's outcome unknown: the gateway's deadline cut off a
    /// try that was waiting on its target (a timeout against it), or anything else (neutral: a
    /// probe's slot is given back).
    func recordAbandonedTry(deadline: Bool) {
        guard admission != nil else { return }
        if deadline, transfer != nil || channel != nil {
            recordAttemptOutcome(PluginFailure(status: SY_E_TIMEOUT, httpStatus: 504, message: "request deadline passed"))
        } else {
            recordAttemptOutcome(PluginFailure(status: SY_E_CANCELLED, message: "request ended"))
        }
    }

    func recordFirstToken() {
        guard let health = plan.attempts[attemptIndex].health, provider?.answersLocally == false, upstreamStartedAt >= request.receivedAt else { return }
        health.recordLatency(monotonicNanoseconds() &- upstreamStartedAt)
    }

    /// What counts against a target: it could not be reached, timed out or failed (5xx). A 4xx
    /// it answered is a client error (the target works). A 429 is flow control, left to
    /// Retry-After, retries and failover: counted, a one-second limit would open the breaker
    /// for every client for its cool-down. A cancelled try or a plugin's refusal says nothing.
    static func outcome(of failure: PluginFailure?) -> AttemptOutcome {
        guard let failure else { return .success }
        switch failure.status {
        case SY_E_TIMEOUT:
            return .failure
        case SY_E_UPSTREAM:
            let status = failure.httpStatus
            if status == 429 { return .neutral }
            return status == 0 || status >= 500 ? .failure : .success
        default:
            return .neutral
        }
    }
}
