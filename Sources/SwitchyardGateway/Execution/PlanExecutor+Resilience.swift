import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardUpstream

/// Retries on one target, the request deadline, the hold of a stream's first chunks and the
/// trace headers of each try (docs/retries.md). All on the request's loop: waits are the loop's
/// timers, cancelled when the request ends for any reason.
extension PlanExecutor {
    // MARK: deadline

    /// Arms `server.request_deadline`, counted from the arrival of the request head.
    func armDeadline(_ nanoseconds: UInt64) {
        let deadline = request.receivedAt &+ nanoseconds
        resilience.deadline = deadline
        let now = monotonicNanoseconds()
        resilience.deadlineTimer = context.upstream.loop.schedule(after: deadline > now ? deadline - now : 0) { [self] in
            resilience.deadlineTimer = nil
            deadlinePassed()
        }
    }

    /// The deadline passed with the request still running: whatever it waits on is dropped and
    /// the client told so in its format (a 504, or a stream's error event).
    private func deadlinePassed() {
        guard !finished else { return }
        if let timer = resilience.retryTimer.take() { context.upstream.loop.cancel(timer) }
        // A try still waiting on its target when the deadline passed counts as its timeout.
        recordAbandonedTry(deadline: true)
        abandonInFlightWork()
        respondDeadlineExceeded()
    }

    private func respondDeadlineExceeded() {
        let limit = services.settings.requestDeadline
        respond(gatewayError: GatewayError(status: 504, type: "timeout_error", code: "deadline_exceeded",
                                           message: "The request did not finish within the gateway's deadline of \(UpstreamLimits.text(limit))."),
                failure: "request deadline of \(UpstreamLimits.text(limit)) passed")
    }

    // MARK: retries

    /// Called with every failed try before any failover: true when it is taken care of here (a
    /// retry on the same target is scheduled, or the deadline has passed and the request was
    /// answered 504); false to go on as before (fail over, or answer with the error).
    func retryOrStop(_ failure: PluginFailure) -> Bool {
        let now = monotonicNanoseconds()
        if resilience.deadline != 0, now >= resilience.deadline {
            respondDeadlineExceeded()
            return true
        }
        let attempt = plan.attempts[attemptIndex]
        guard !streamStarted, let policy = services.providers[attempt.provider]?.retry else { return false }
        // The failures have opened the target's breaker: no retry on it (fail over).
        if let health = attempt.health, health.isOpen { return false }
        if resilience.retriedAttempt != attemptIndex {
            resilience.retriedAttempt = attemptIndex
            resilience.retriesOnTarget = 0
        }
        // Only the transport's timeouts are upstream timeouts; a plugin hook that overran its
        // deadline is not retried on the same target (it may still fail over).
        let cause = resilience.cause(timedOut: failure.status == SY_E_TIMEOUT && resilience.transportKind != nil)
        let retryAfterWait = retryAfter.flatMap { RetryAfter.nanoseconds($0, nowUnixNanoseconds: unixNanoseconds()) }
        let decision = policy.decide(cause: cause, retriesDone: resilience.retriesOnTarget, retryAfter: retryAfterWait,
                                     now: now, deadline: resilience.deadline, random: &context.random)
        guard case .retry(let wait) = decision else { return false }
        resilience.retries += 1
        resilience.retriesOnTarget += 1
        services.log.warn("attempt failed, retrying", requestID: plan.requestID, fields: [
            ("provider", attempt.provider), ("retry", String(resilience.retriesOnTarget)),
            ("wait_ms", String(wait / 1_000_000)), ("error", failure.message),
        ])
        resilience.retryTimer = context.upstream.loop.schedule(after: wait) { [self] in
            resilience.retryTimer = nil
            guard !finished, !cancelled else { return }
            retryAttempt()
        }
        return true
    }

    /// The request ended: its waits are cancelled (their closures hold the executor).
    func endResilienceTimers() {
        if let timer = resilience.retryTimer.take() { context.upstream.loop.cancel(timer) }
        if let timer = resilience.deadlineTimer.take() { context.upstream.loop.cancel(timer) }
    }

    // MARK: trace headers

    /// The provider's headers for one try, then `X-Request-ID`, a `traceparent` with a new span
    /// id, and the client's `tracestate` (each unless the provider set it itself).
    func upstreamHeaders(_ draft: [(name: String, value: String)]) -> [(String, String)] {
        var headers: [(String, String)] = []
        headers.reserveCapacity(draft.count + 3)
        var setByProvider = (requestID: false, traceparent: false, tracestate: false)
        for header in draft {
            headers.append((header.name, header.value))
            // By length first (O(1) on a native string): most names are none of the three.
            switch header.name.utf8.count {
            case 12: if HTTPHeaders.equalIgnoringCase(header.name, "x-request-id") { setByProvider.requestID = true }
            case 11: if HTTPHeaders.equalIgnoringCase(header.name, "traceparent") { setByProvider.traceparent = true }
            case 10: if HTTPHeaders.equalIgnoringCase(header.name, "tracestate") { setByProvider.tracestate = true }
            default: break
            }
        }
        if !setByProvider.requestID { headers.append(("X-Request-ID", plan.requestID)) }
        if !setByProvider.traceparent { headers.append(("traceparent", resilience.trace.traceparent(random: &context.random))) }
        if !setByProvider.tracestate, let state = resilience.trace.state { headers.append(("tracestate", state)) }
        return headers
    }

    // MARK: stream hold

    /// Before the stream has started: true when `chunk` was held (no content yet). False when
    /// the stream must start now; the held chunks then go out first (`releaseHeld`).
    func holdBeforeContent(_ chunk: UnsafeRawBufferPointer) -> Bool {
        resilience.hold.hold(chunk, format: StreamHold.Format(attempt: plan.attempts[attemptIndex], ingress: plan.operation))
    }

    /// The held chunks, rendered to the client in order; a renderer's failure stops there.
    func releaseHeld(_ renderer: ClientRenderer?) -> GatewayError? {
        guard !resilience.hold.isEmpty, let renderer else { return nil }
        for chunk in resilience.hold.take() {
            if let failure = chunk.withUnsafeBytes({ renderer.chunk($0, { clientWrite($0) }) }) { return failure }
        }
        return nil
    }
}
