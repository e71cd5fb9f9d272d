import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardJSON
import SwitchyardPlugins

/// The executor's side of guardrails: the request phase before each attempt, the response phase
/// before a whole answer goes out, and the chunk phase between a stream's provider and its
/// client. None of this runs for a plan without guardrails (`guardrails` is empty).
extension PlanExecutor {
    /// The request phase for this attempt (the guardrails that apply to its provider), then the
    /// attempt with the guarded request. The result is kept: a failover to a provider with the
    /// same guardrails does not run them again.
    func guardAttempt(_ attempt: Attempt) {
        if guardrailRecord == nil { guardrailRecord = GuardrailRecord() }
        let groups = guardrails.groups(phase: SY_PHASE_REQUEST, route: plan.operation, provider: attempt.provider)
        let names = groups.flatMap { $0.map(\.name) }
        if let guardedRequest, guardedRequest.guardrails == names {
            return sendGuarded(attempt, document: guardedRequest.document)
        }
        if groups.isEmpty { return sendGuarded(attempt, document: nil) }
        let document: [UInt8]
        do { document = try request.guardrailDocument() } catch {
            return respond(gatewayError: error, failure: error.message)
        }
        // A key named twice would let what the guardrails inspect (they read the first) differ
        // from what the provider acts on (most read the last): such a request is refused.
        if let path = document.withUnsafeBytes({ JSONValue.firstDuplicateKey(in: $0) }) {
            let error = GatewayError.invalidRequest(
                "The request names a key twice (at \(path)); requests checked by guardrails must not repeat keys.", code: "duplicate_key")
            return respond(gatewayError: error, failure: "duplicate key at \(path)")
        }
        let pass = GuardrailPass(
            groups: groups, phase: SY_PHASE_REQUEST, document: document,
            call: guardrailCall(attempt, request: document), loop: writer.loop, watch: context.hookWatch, record: guardrailRecord!, log: services.log)
        guardrailPass = pass
        pass.start { [self] outcome in
            guardrailPass = nil
            guard !finished, !cancelled else { return }
            switch outcome {
            case .allowed(let guarded):
                guardedRequest = (names, guarded)
                sendGuarded(attempt, document: guarded)
            case .refused(let error, let failure):
                respond(gatewayError: error, failure: failure)
            }
        }
    }

    /// The attempt with the request as its guardrails left it (nil: unchanged).
    private func sendGuarded(_ attempt: Attempt, document: [UInt8]?) {
        let payload: AttemptPayload
        do throws(GatewayError) {
            if let document { payload = try request.payload(for: attempt, guarded: document) } else { payload = try request.payload(for: attempt) }
        } catch {
            return respond(gatewayError: error, failure: error.message)
        }
        streamGuard = nil
        if plan.stream {
            let stages = guardrails.groups(phase: SY_PHASE_CHUNK, route: plan.operation, provider: attempt.provider).flatMap { $0 }
            if !stages.isEmpty { streamGuard = makeStreamGuard(stages, attempt: attempt, request: payload.body) }
        }
        send(payload)
    }

    private func makeStreamGuard(_ stages: [ConfiguredGuardrail], attempt: Attempt, request: [UInt8]) -> StreamGuard {
        StreamGuard(
            guardrails: stages, call: guardrailCall(attempt, request: request), loop: writer.loop, watch: context.hookWatch, record: guardrailRecord!, log: services.log,
            maxQueuedBytes: limits.maxResponseBytes,
            emit: { [unowned self] chunk in
                guard !finished else { return }
                if chunk.withUnsafeBytes({ streamChunk($0) }) != SY_OK, let pendingFailure { abortTransfer(pendingFailure) }
            },
            refuse: { [unowned self] error, failure in
                guard !finished else { return }
                transfer?.cancel()
                transfer = nil
                respond(gatewayError: error, failure: failure)
            },
            ended: { [unowned self] in
                guard !finished else { return }
                succeed()
            },
            waitingChanged: { [unowned self] in syncUpstreamPause() })
    }

    /// The response phase over a whole answer: true when it took over (the answer goes out, or
    /// the error, when the pass ends).
    func guardResponse(_ completion: [UInt8]) -> Bool {
        let attempt = plan.attempts[attemptIndex]
        let groups = guardrails.groups(phase: SY_PHASE_RESPONSE, route: plan.operation, provider: attempt.provider)
        guard !groups.isEmpty else { return false }
        let pass = GuardrailPass(
            groups: groups, phase: SY_PHASE_RESPONSE, document: completion,
            call: guardrailCall(attempt, request: call.request), loop: writer.loop, watch: context.hookWatch, record: guardrailRecord!, log: services.log)
        guardrailPass = pass
        pass.start { [self] outcome in
            guardrailPass = nil
            guard !finished, !cancelled else { return }
            switch outcome {
            case .allowed(let guarded): sendWhole(guarded ?? completion)
            case .refused(let error, let failure): respond(gatewayError: error, failure: failure)
            }
        }
        return true
    }

    /// What a guardrail's hooks receive as `sy_call_info`: the request, the current attempt.
    private func guardrailCall(_ attempt: Attempt, request: [UInt8]) -> CallDescription {
        CallDescription(
            operation: plan.operation.abiValue, stream: plan.stream, attempt: attemptIndex,
            requestID: plan.requestID, upstreamModel: attempt.upstreamModel, request: request, handle: pluginCall.handle,
            pluginCall: pluginCall)
    }

    /// The request is over: passes and pauses end, and every guardrail that inspected it hears
    /// `call_end` once.
    func endGuardrails() {
        guardrailPass?.cancel()
        guardrailPass = nil
        streamGuard?.cancel()
        streamGuard = nil
        guard let record = guardrailRecord else { return }
        pluginCall.loopHookStarts(deadline: 0)  // call_end is not timed (call_deadline_ns 0)
        for guardrail in guardrails where record.inspected(guardrail.name) {
            guardrail.plugin.callEnded(pluginCall.handle)
        }
    }
}
