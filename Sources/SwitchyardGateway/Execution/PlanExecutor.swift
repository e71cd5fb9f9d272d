import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardUpstream

/// Carries out one plan on the event loop that accepted the request: each attempt in order,
/// failing over while nothing has reached the client, then answers through the writer.
///
/// Threading: loop-confined. Upstream callbacks and writer calls run on the request's loop, and
/// so do plugin hooks, each watched by the loop's `HookWatch` (a hook that runs too long is
/// reported, and one that ran past its deadline fails the request with a 504). Hooks a plugin's
/// manifest declares blocking run on the worker pool instead (PlanExecutor+Hooks.swift); only
/// their results come back to this object, on the loop. Lifetime: retained by the in-flight
/// upstream transfer, by the writer's onClose closure and by a worker job's channel, all
/// released when the request ends.
///
/// The state below is internal (not private) for PlanExecutor+Hooks.swift; nothing else
/// touches it.
final class PlanExecutor: PluginSinkTarget, UpstreamResponseDelegate {
    let plan: ExecutionPlan
    let request: any IngressRequest
    let writer: ResponseWriter
    let services: GatewayServices
    let context: LoopContext
    /// The request's `sy_call` for every plugin hook (RequestCall.swift).
    let pluginCall: PluginCall

    private(set) var attemptIndex = 0
    /// How the current try was let through to its target; nil when no claim is held (none
    /// made, or its outcome already recorded). PlanExecutor+TargetHealth.swift.
    var admission: Admission?
    /// The plan's routing record with the targets skipped at their attempt's start (their
    /// breaker refused the try), for the access log; nil when none was.
    var routingAtStart: RoutingRecord?
    var provider: ProviderPlugin?
    /// The current attempt's provider's timeouts and response bounds.
    var limits = UpstreamLimits()
    /// Where the current attempt's provider's hooks run (the worker pool when its manifest
    /// declares them blocking), and its tag for the loop's hook watch.
    private var generateOnWorker = false
    private var prepareOnWorker = false
    var responseOnWorker = false
    private var watchTag: UInt64 = 0
    var bodyBound = UpstreamBodyBound()
    private var headArrived = false
    /// The transport's own words for the current attempt's failure (they may name the
    /// upstream's address): for the log, never for the client.
    private var failureDetail: String?
    var call = CallDescription(operation: 0, stream: false, attempt: 0, requestID: "", upstreamModel: "")
    var transfer: (any UpstreamCall)?
    var transformation: ResponseTransformation?
    var pendingFailure: PluginFailure?
    var upstreamStartedAt: UInt64 = 0
    private var upstreamNanoseconds: UInt64 = 0

    private(set) var streamStarted = false
    /// When the stream's head and first bytes went out (monotonic ns; 0 before), for the metrics.
    private var firstContentAt: UInt64 = 0
    /// The upstream is paused because the client reads slower than it writes.
    private var receivingPaused = false
    /// Whether the transfer is paused now (for the client, or while a worker runs a response hook).
    var upstreamIsPaused = false
    var finished = false
    var cancelled = false
    private var completion: [UInt8]?
    private var errorBody: [UInt8]?
    private var usage: [UInt8]?
    var retryAfter: String?

    // A hook running on the worker pool (PlanExecutor+Hooks.swift).
    /// The running job's channel; nil when no job runs. Results of any other channel are stale.
    var channel: WorkerChannel?
    var runningHook = HookKind.generate
    /// The running `generate` has written something (its deadline is now the idle timeout).
    var generateWrote = false
    /// Rendered bytes of worker output not yet acknowledged because the client is behind.
    var unacknowledged = 0
    var hookTimer: TimerID?
    /// The running job's deadlines (monotonic ns; 0 = none): first-byte or idle, and total.
    var hookDeadline: UInt64 = 0
    var hookTotalDeadline: UInt64 = 0
    /// Upstream events that arrived while a response hook ran on a worker, handled in order after it.
    var deferredChunks: [[UInt8]] = []
    var deferredCompletion: UpstreamResult?
    /// The current attempt's; nil only before the first attempt has its payload.
    private var renderer: ClientRenderer?

    // Guardrails (PlanExecutor+Guardrails.swift); all empty or nil when the plan has none.
    /// The plan's guardrails, in the order they run.
    let guardrails: [ConfiguredGuardrail]
    var guardrailRecord: GuardrailRecord?
    /// The request or response pass running now.
    var guardrailPass: GuardrailPass?
    /// The request phase's result, kept for the next attempt when the same guardrails apply.
    var guardedRequest: (guardrails: [String], document: [UInt8]?)?
    /// The current attempt's chunk phase, on a streamed request.
    var streamGuard: StreamGuard?
    /// Retries, deadline, stream hold and trace (PlanExecutor+Resilience.swift).
    var resilience: RequestResilience
    /// The enrichers watching a native attempt (PlanExecutor+Enrichers.swift); nil otherwise.
    var enricherTap: EnricherTap?
    /// What the enrichers of the last attempt they watched found.
    var enrichment: Enrichment?
    /// The bodies of a request `audit:` matches; nil otherwise (one nil check per write).
    var audit: AuditCapture?

    init(plan: ExecutionPlan, request: any IngressRequest, writer: ResponseWriter, services: GatewayServices, context: LoopContext, trace: TraceContext) {
        self.plan = plan
        resilience = RequestResilience(trace: trace)
        self.request = request
        self.writer = writer
        self.services = services
        self.context = context
        guardrails = plan.chains.guardrails.isEmpty ? [] : plan.chains.guardrails.compactMap { services.guardrails[$0] }
        pluginCall = context.makePluginCall()
        pluginCall.open(source: self)
    }

    deinit {
        pluginCall.end()  // the call must not outlive its source unended (RequestCall.swift)
        context.keepEnded(pluginCall)
    }

    func start() {
        // The client may have left while an asynchronous step ran before this (the stored
        // response of `previous_response_id`, a Redis admission): its close was reported to no
        // one, so end the request here (logged 499, settled as a full refund) without calling
        // the upstream.
        if writer.isClosed { return clientWentAway() }
        writer.onClose = { [self] reason in
            switch reason {
            case .clientGone: clientWentAway()
            case .shutdown: shutdownGraceExpired()
            }
        }
        if services.settings.requestDeadline > 0 { armDeadline(services.settings.requestDeadline) }
        runAttempt()
    }

    // MARK: attempts

    /// The same attempt again, after a retry's wait (PlanExecutor+Resilience.swift).
    func retryAttempt() { runAttempt() }

    /// The next attempt of the plan, without a try of the current one (its breaker refused it).
    func skipToNextAttempt() {
        attemptIndex += 1
        runAttempt()
    }

    private func runAttempt() {
        if channel != nil { retireWorkerJob() }  // a failed-over attempt's job on a worker is cut loose
        if enricherTap != nil { endEnrichers(outcome: SY_E_UPSTREAM) }  // the failed attempt's watch ends
        enrichment = nil  // what the log reports is the attempt that answered
        let attempt = plan.attempts[attemptIndex]
        guard claimTarget(attempt) else { return }
        pluginCall.beginAttempt(attemptIndex)
        completion = nil
        errorBody = nil
        usage = nil
        retryAfter = nil
        pendingFailure = nil
        headArrived = false
        failureDetail = nil
        resilience.beginTry()
        guard let configured = services.providers[attempt.provider] else {
            conclude(PluginFailure(status: SY_E_INTERNAL, httpStatus: 503, retryable: true, message: "provider \(attempt.provider) is not loaded"))
            return
        }
        let provider = configured.plugin
        self.provider = provider
        limits = configured.limits
        generateOnWorker = configured.generateOnWorker
        prepareOnWorker = configured.prepareOnWorker
        responseOnWorker = configured.responseOnWorker
        watchTag = configured.watchTag
        if !guardrails.isEmpty { return guardAttempt(attempt) }
        let payload: AttemptPayload
        do { payload = try request.payload(for: attempt) } catch {
            return respond(gatewayError: error, failure: error.message)
        }
        send(payload)
    }

    /// The attempt's request goes to its provider: `generate` in-process, or `prepare` and the
    /// upstream exchange. (Inlined into `runAttempt`: the bare path pays nothing for the split.)
    @inline(__always)
    func send(_ payload: AttemptPayload) {
        let attempt = plan.attempts[attemptIndex]
        guard let provider else { return }
        renderer = payload.renderer
        let body = payload.body
        call = CallDescription(
            operation: attempt.operation.abiValue, stream: plan.stream, attempt: attemptIndex,
            requestID: plan.requestID, upstreamModel: attempt.upstreamModel, request: body, handle: pluginCall.handle,
            pluginCall: pluginCall)

        if provider.answersLocally {
            if generateOnWorker { return runGenerateOnWorker(body) }
            loopHookStarts(.generate)
            let mark = context.hookWatch.enter(.generate, provider: watchTag)
            let failure = body.withUnsafeBytes { provider.generate(call, body: $0, output: self) }
            if failure != nil { context.hookWatch.failed(mark) }
            if context.hookWatch.exit(mark), let overrun = slowLoopHook(.generate) { return conclude(overrun) }
            conclude(pendingFailure ?? failure)
            return
        }
        if prepareOnWorker { return runPrepareOnWorker(body) }
        loopHookStarts(.prepare)
        let mark = context.hookWatch.enter(.prepare, provider: watchTag)
        let prepared = body.withUnsafeBytes { provider.prepare(call, body: $0) }
        if case .failure = prepared { context.hookWatch.failed(mark) }
        if context.hookWatch.exit(mark), let overrun = slowLoopHook(.prepare) { return conclude(overrun) }
        startUpstream(prepared)
    }

    /// Sends the upstream request `prepare` built, or ends the attempt with why it could not.
    /// (Inlined into `runAttempt`: the bare path then pays nothing for the split.)
    @inline(__always)
    func startUpstream(_ prepared: Result<UpstreamRequestBuilder, PluginFailure>) {
        switch prepared {
        case .failure(let failure):
            conclude(failure)
        case .success(let draft):
            let upstreamRequest = UpstreamRequest(
                method: draft.method, url: draft.url, headers: upstreamHeaders(draft.headers), body: draft.body,
                connectTimeout: limits.connectTimeout, totalTimeout: limits.totalTimeout,
                firstByteTimeout: limits.firstByteTimeout, idleTimeout: limits.idleTimeout)
            upstreamStartedAt = monotonicNanoseconds()
            upstreamIsPaused = false
            transfer = context.upstream.start(upstreamRequest, delegate: self)
            if !plan.chains.enrichers.isEmpty { watchNativeAttempt(draft) }
        }
    }

    /// Ends an attempt: success, fail over to the next attempt, or answer with the error.
    func conclude(_ failure: PluginFailure?) {
        guard !finished, !cancelled else { return }
        recordAttemptOutcome(failure)  // the target's breaker and latency (PlanExecutor+TargetHealth.swift)
        guard let failure else { return succeed() }
        if retryOrStop(failure) { return }
        let mayFailOver = failure.retryable || failure.status == SY_E_TIMEOUT
        if mayFailOver, !streamStarted, attemptIndex + 1 < plan.attempts.count {
            services.log.warn("attempt failed, failing over", requestID: plan.requestID,
                              fields: [("provider", plan.attempts[attemptIndex].provider), ("error", logText(failure.message))])
            attemptIndex += 1
            runAttempt()
            return
        }
        respond(failure)
    }

    // MARK: upstream callbacks

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) {
        retryAfter = headers.first(where: { HTTPHeaders.equalIgnoringCase($0.name, "retry-after") })?.value
        headArrived = true
        resilience.headStatus = status
        // A streamed request answered with 2xx is an SSE stream; anything else (a whole answer,
        // an error body) is buffered by the plugin and bounded as a whole.
        bodyBound = UpstreamBodyBound(streamed: plan.stream && status >= 200 && status < 300, limits: limits)
        guard let provider else { return }
        // The enrichers hear the head after the provider's transformer has begun (and, for its
        // first bytes, the client has them).
        defer { if let enricherTap { enricherTap.response(status: status, headers: headers) } }
        if responseOnWorker { return beginOnWorker(status: status, headers: headers) }
        loopHookStarts(.begin)
        let mark = context.hookWatch.enter(.begin, provider: watchTag)
        let began = provider.beginResponse(call, status: status, headers: headers)
        if context.hookWatch.exit(mark), let overrun = slowLoopHook(.begin) { return abortTransfer(overrun) }
        switch began {
        case .success(let started): transformation = started
        case .failure(let failure):
            context.hookWatch.failed(mark)
            abortTransfer(failure)
        }
    }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        // After the provider's transformer has had them (and the client its rendering).
        defer { if let enricherTap { enricherTap.responseData(chunk) } }
        if responseOnWorker { return dataOnWorker(chunk) }
        guard let transformation, pendingFailure == nil else { return }
        guard bodyBound.admit(chunk) else { return abortTransfer(bodyBound.failure) }
        loopHookStarts(.data)
        let mark = context.hookWatch.enter(.data, provider: watchTag)
        let failure = transformation.data(chunk, output: self)
        if context.hookWatch.exit(mark), let overrun = slowLoopHook(.data) { return abortTransfer(overrun) }
        if let failure {
            context.hookWatch.failed(mark)
            abortTransfer(failure)
        }
    }

    func upstreamComplete(_ result: UpstreamResult) {
        transfer = nil
        upstreamNanoseconds &+= monotonicNanoseconds() &- upstreamStartedAt
        if responseOnWorker { return responseCompleteOnWorker(result) }
        defer { transformation = nil }  // state_free runs here, exactly once
        if cancelled { return }
        if let pendingFailure { return conclude(pendingFailure) }
        switch result {
        case .success:
            guard let transformation else {
                return conclude(PluginFailure(status: SY_E_UPSTREAM, httpStatus: 502, retryable: true, message: "upstream sent no response"))
            }
            loopHookStarts(.end)
            let mark = context.hookWatch.enter(.end, provider: watchTag)
            let failure = transformation.end(output: self)
            if failure != nil { context.hookWatch.failed(mark) }
            if context.hookWatch.exit(mark), let overrun = slowLoopHook(.end) { return conclude(overrun) }
            conclude(failure)
        case .failure(let error):
            conclude(transportFailure(error))
        }
    }

    func abortTransfer(_ failure: PluginFailure) {
        if pendingFailure == nil { pendingFailure = failure }  // a renderer's failure came first
        transfer?.cancel()
    }

    func transportFailure(_ error: UpstreamError) -> PluginFailure {
        let failure = limits.failure(for: error, afterHead: headArrived)
        // The client's words name the kind of failure only; the transport's own (errno or curl
        // text with the upstream's address and URL) go to the log: the access log's error=,
        // and the failover warning.
        if error.kind != .cancelled, error.message != failure.message { failureDetail = error.message }
        resilience.transportKind = error.kind
        return failure
    }

    /// A failure as the log records it: the client's message, plus the transport's detail.
    private func logText(_ message: String) -> String {
        guard let failureDetail else { return message }
        return "\(message) (\(failureDetail))"
    }

    // MARK: provider output (the plugin's sink)

    func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status {
        if cancelled || finished || writer.isClosed || pendingFailure != nil { return SY_E_CANCELLED }
        switch kind {
        case SY_OUT_JSON:
            if plan.stream {
                if let streamGuard {
                    streamGuard.admit(bytes)
                    return finished || pendingFailure != nil ? SY_E_CANCELLED : SY_OK
                }
                return streamChunk(bytes)
            } else {
                completion = Array(bytes)
            }
        case SY_OUT_ERROR_JSON:
            errorBody = Array(bytes)
        case SY_OUT_META_JSON:
            if let seconds = Self.retryAfterSeconds(bytes) {
                if retryAfter == nil { retryAfter = String(seconds) }  // the upstream's own header wins
            } else {
                usage = Array(bytes)
            }
        default:
            break  // unknown kinds from newer plugins are ignored, as the ABI promises
        }
        return SY_OK
    }

    /// One canonical chunk for the client (after the chunk-phase guardrails, if any).
    func streamChunk(_ bytes: UnsafeRawBufferPointer) -> sy_status {
        if !streamStarted {
            // Nothing reaches the client before content: a failure until then can still fail over.
            if holdBeforeContent(bytes) { return SY_OK }
            startStream()
            if let failure = releaseHeld(renderer) {
                pendingFailure = PluginFailure(status: SY_E_UPSTREAM, httpStatus: failure.status, message: failure.message)
                return SY_E_CANCELLED
            }
        }
        if let failure = renderer?.chunk(bytes, { clientWrite($0) }) {
            pendingFailure = PluginFailure(status: SY_E_UPSTREAM, httpStatus: failure.status, message: failure.message)
            return SY_E_CANCELLED
        }
        if writer.isBackpressured {
            // A provider answering on the loop (generate) cannot be paused: nothing is
            // flushed until its hook returns. Bound what it may pile up for a client
            // that does not read, as a buffered upstream answer is bounded.
            if transfer == nil, writer.pendingBytes > limits.maxResponseBytes {
                pendingFailure = PluginFailure(
                    status: SY_E_UPSTREAM, httpStatus: 502,
                    message: "provider wrote more than server.max_upstream_response_bytes (\(limits.maxResponseBytes) bytes) that the client had not read")
                return SY_E_CANCELLED
            }
            pauseUpstream()
        }
        return SY_OK
    }

    // MARK: answering

    func startStream() {
        streamStarted = true
        recordFirstToken()
        firstContentAt = monotonicNanoseconds()
        context.metrics.streamStarted()
        var headers = planHeaders()
        headers.add("Content-Type", "text/event-stream")
        headers.add("Cache-Control", "no-cache")
        writer.startStream(status: 200, headers: headers)
    }

    func succeed() {
        if plan.stream {
            // What the chunk-phase guardrails hold goes out first; they call back here when done.
            if let streamGuard, !streamGuard.hasEnded { return streamGuard.finish() }
            if !streamStarted {
                startStream()
                if let failure = releaseHeld(renderer) {
                    return respond(PluginFailure(status: SY_E_UPSTREAM, httpStatus: failure.status, message: failure.message))
                }
            }
            if let failure = renderer?.end({ clientWrite($0) }) {
                return respond(PluginFailure(status: SY_E_UPSTREAM, httpStatus: failure.status, message: failure.message))
            }
            writer.finish()
            return finish(status: 200)
        }
        // The host checked the plugin's output as it was written (ProviderPlugin, PluginOutputCheck):
        // a completion here is one JSON object.
        guard let completion else {
            return respond(PluginFailure(status: SY_E_INTERNAL, message: "provider \(call.upstreamModel) produced no valid JSON response"))
        }
        if !guardrails.isEmpty, guardResponse(completion) { return }
        sendWhole(completion)
    }

    /// The whole answer, in the client's format.
    func sendWhole(_ completion: [UInt8]) {
        let body: [UInt8]
        do { body = try renderer?.whole(completion) ?? completion } catch {
            return respond(gatewayError: error, failure: error.message)
        }
        var headers = planHeaders()
        headers.add("Content-Type", "application/json")
        writer.send(status: 200, headers: headers, body: body)
        audit?.append(body)
        finish(status: 200)
    }

    /// A stream's bytes to the client (and to the audit capture, when there is one).
    func clientWrite(_ bytes: UnsafeRawBufferPointer) {
        writer.write(bytes)
        audit?.append(bytes)
    }

    /// `{"retry_after_seconds": N}`: a provider whose upstream says when to retry in its body
    /// (docs/canonical.md, "Errors").
    static func retryAfterSeconds(_ meta: UnsafeRawBufferPointer) -> Int? {
        guard meta.count < 64, let scan = try? TopLevelScan(meta), let range = scan.range(of: "retry_after_seconds") else { return nil }
        var value = 0
        for byte in meta[range] {
            guard byte >= 0x30 && byte <= 0x39, value < 1_000_000 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return range.isEmpty ? nil : value
    }

    private func respond(_ failure: PluginFailure) {
        respond(gatewayError: gatewayError(for: failure), failure: logText(failure.message), providerBody: errorBody)
    }

    /// Answers with an error in the client's format: the provider's own error body when it wrote
    /// one, else the gateway's.
    func respond(gatewayError error: GatewayError, failure: String, providerBody: [UInt8]? = nil) {
        let renderer = renderer ?? errorRenderer(for: plan.operation)
        let fromProvider = providerBody != nil
        let body = providerBody ?? error.body
        if streamStarted {
            // Headers are gone: the error travels as an SSE event (the SDKs raise on it).
            renderer.streamError(status: error.status, body: body, fromProvider: fromProvider) { clientWrite($0) }
            writer.finish()
        } else {
            var headers = planHeaders()
            headers.add("Content-Type", "application/json")
            if let retryAfter { headers.add("Retry-After", retryAfter) }
            let rendered = renderer.errorBody(status: error.status, body: body, fromProvider: fromProvider)
            writer.send(status: error.status, headers: headers, body: rendered)
            audit?.append(rendered)
        }
        finish(status: error.status, failure: failure)
    }

    private func gatewayError(for failure: PluginFailure) -> GatewayError {
        let provider = plan.attempts[attemptIndex].provider
        switch failure.status {
        case SY_E_INVALID, SY_E_UNSUPPORTED:
            return GatewayError.invalidRequest(failure.message, code: failure.status == SY_E_INVALID ? "invalid_request" : "unsupported_parameter")
        case SY_E_UPSTREAM:
            let status = failure.httpStatus != 0 ? failure.httpStatus : 502
            return GatewayError.upstream(status: status, message: "Provider \(provider): \(failure.message)")
        case SY_E_TIMEOUT:
            return GatewayError.timeout("Provider \(provider): \(failure.message)")
        default:
            if failure.httpStatus == 503 { return GatewayError.unavailable(failure.message) }
            // The plugin's (or the host's) words may hold its URL or other internals: the
            // client learns the provider and the kind; the log has the message.
            return GatewayError.internalError("Provider \(provider) failed (\(Self.kind(of: failure.status)))")
        }
    }

    /// A status as the client reads it.
    private static func kind(of status: Int32) -> String {
        switch status {
        case SY_E_NOMEM: "out of memory"
        case SY_E_CONFIG: "misconfigured"
        case SY_E_CANCELLED: "cancelled"
        default: "internal error"
        }
    }

    private func planHeaders() -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add("X-Switchyard-Provider", plan.attempts[attemptIndex].provider)
        headers.add("X-Switchyard-Model", plan.resolution.resolved)
        headers.add("X-Switchyard-Attempts", String(attemptIndex + 1 + resilience.retries))
        headers.add("X-Switchyard-Overhead-Us", String(overheadNanoseconds() / 1000))
        if let variant = plan.routing.variant { headers.add("X-Switchyard-Variant", variant) }
        if let settlement = plan.settlement { for (name, value) in settlement.responseHeaders { headers.add(name, value) } }
        return headers
    }

    /// The gateway's own share of the time so far: everything since the request head arrived
    /// that was not spent waiting on an upstream (for a stream: up to its first chunk).
    private func overheadNanoseconds() -> UInt64 {
        let now = monotonicNanoseconds()
        var upstream = upstreamNanoseconds
        if transfer != nil { upstream &+= now &- upstreamStartedAt }
        let total = now &- request.receivedAt
        return total > upstream ? total - upstream : 0
    }

    /// Backpressure: a client that reads slower than the upstream writes stops the reading of
    /// the upstream until its send buffer has drained, so a stream never piles up in memory.
    private func pauseUpstream() {
        guard !receivingPaused, transfer != nil else { return }
        receivingPaused = true
        syncUpstreamPause()
        writer.onDrained = { [weak self] in self?.clientDrained() }
    }

    /// The client's send buffer has drained: the upstream may send again, and a worker writing
    /// the answer gets the room its held-back bytes took.
    func clientDrained() {
        if receivingPaused {
            receivingPaused = false
            syncUpstreamPause()
        }
        if unacknowledged > 0 {
            channel?.acknowledge(unacknowledged)
            unacknowledged = 0
        }
    }

    /// Pauses the transfer while the client is behind or a worker runs a response hook, and
    /// resumes it when neither holds.
    func syncUpstreamPause() {
        guard let transfer else { return }
        let wanted = receivingPaused || channel != nil || streamGuard?.isWaiting == true
        guard wanted != upstreamIsPaused else { return }
        upstreamIsPaused = wanted
        if wanted { transfer.pauseReceiving() } else { transfer.resumeReceiving() }
    }

    private func finish(status: Int, failure: String? = nil) {
        // Once: a stream's last write may find the client gone, and its close handler finishes
        // the request (499) before the success path gets here.
        guard !finished else { return }
        if admission != nil { recordAbandonedTry(deadline: false) }
        if channel != nil { retireWorkerJob() }
        finished = true
        writer.onClose = nil
        writer.onDrained = nil
        endResilienceTimers()
        if guardrailRecord != nil { endGuardrails() }
        if enricherTap != nil { endEnrichers(outcome: failure == nil ? SY_OK : SY_E_UPSTREAM) }
        pluginCall.end()  // after call_end: a guardrail's last log line still names the request
        services.accessLog.record(
            plan: loggedPlan, status: status, attempt: attemptIndex, startedAt: request.receivedAt,
            upstreamNanoseconds: upstreamNanoseconds, usage: usage ?? enrichment?.usage, failure: failure, guardrails: guardrailRecord,
            enrichment: enrichment, firstContentAt: firstContentAt, retries: resilience.retries, traceID: resilience.trace.traceID, into: context)
        if let audit { audit.audit.finish(audit, status: status, context: context) }
    }

    /// The plan as the access log reports it (copied only when a target was skipped at start).
    private var loggedPlan: ExecutionPlan {
        guard let routingAtStart else { return plan }
        var logged = plan
        logged.routing = routingAtStart
        return logged
    }

    private func clientWentAway() {
        guard !finished else { return }
        if admission != nil { recordAbandonedTry(deadline: false) }
        cancelled = true
        finished = true
        endResilienceTimers()  // a retry's wait ends here: no further upstream request
        pluginCall.cancel()
        retireWorkerJob()  // the worker's next write returns SY_E_CANCELLED
        deferredChunks = []
        deferredCompletion = nil
        transfer?.cancel()
        transfer = nil
        transformation = nil
        if guardrailRecord != nil { endGuardrails() }
        if enricherTap != nil { endEnrichers(outcome: SY_E_CANCELLED) }
        pluginCall.end()
        services.accessLog.record(
            plan: loggedPlan, status: 499, attempt: attemptIndex, startedAt: request.receivedAt,
            upstreamNanoseconds: upstreamNanoseconds, usage: usage ?? enrichment?.usage, failure: "client closed the connection",
            guardrails: guardrailRecord, enrichment: enrichment, firstContentAt: firstContentAt, retries: resilience.retries, traceID: resilience.trace.traceID, into: context)
        if let audit { audit.audit.finish(audit, status: 499, context: context) }
    }

    /// The server's shutdown grace ran out before this request ended: the upstream transfer is
    /// dropped and the client told so in its format (a 503, or a stream's error event and a
    /// proper end of the body), logged as 503 "gateway shutting down".
    private func shutdownGraceExpired() {
        guard !finished else { return }
        abandonInFlightWork()
        respond(gatewayError: GatewayError.unavailable("The gateway is shutting down; retry the request."), failure: "gateway shutting down")
    }

    /// The gateway ends the request itself (shutdown grace, request deadline): what it waits on
    /// is dropped, and callbacks still on their way are ignored (`cancelled`).
    func abandonInFlightWork() {
        cancelled = true
        retireWorkerJob()
        deferredChunks = []
        deferredCompletion = nil
        transfer?.cancel()
        transfer = nil
        transformation = nil
        guardrailPass?.cancel()
        streamGuard?.cancel()
    }
}
