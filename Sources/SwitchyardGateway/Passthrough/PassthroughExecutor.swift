import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardUpstream

/// Carries out a passthrough plan: the provider's `passthrough` hook names the upstream URL and
/// adds its credentials, the client's request goes there with its own method, headers (less
/// hop-by-hop fields and credentials) and body, and the upstream's answer comes back as it was
/// sent: status, headers, body bytes. Both bodies stream with backpressure, so their size does
/// not matter. Enrichers watch the bytes go by (EnricherTap) and say what the call was.
///
/// No failover: the client named the provider. A failure before the upstream's head is answered
/// in OpenAI's error shape (502/504, naming the provider); after it, the body is cut (the client
/// sees a truncated body, never a made-up end).
///
/// Threading: loop-confined, like PlanExecutor. Lifetime: retained by the upstream transfer, the
/// writer's callbacks and the request body's callback until the request ends.
final class PassthroughExecutor: UpstreamResponseDelegate {
    let plan: ExecutionPlan
    let request: HTTPRequest
    let provider: ConfiguredProvider
    let writer: ResponseWriter
    let services: GatewayServices
    let context: LoopContext
    let pluginCall: PluginCall
    private let target: PassthroughTarget

    private var transfer: (any UpstreamCall)?
    private var upload: PassthroughUpload?
    private var tap: EnricherTap?
    private var status = 0
    private var responseStarted = false
    private var receivingPaused = false
    private var finished = false
    /// The gateway is ending the exchange itself: the cancelled transfer's completion, which may
    /// arrive inside `cancel()`, is not a failure to answer.
    private var stopping = false
    private var isEventStream = false
    private var upstreamStartedAt: UInt64 = 0
    private var upstreamNanoseconds: UInt64 = 0
    private var failureDetail: String?
    private let trace: TraceContext

    init(plan: ExecutionPlan, request: HTTPRequest, provider: ConfiguredProvider, writer: ResponseWriter, services: GatewayServices, context: LoopContext) {
        self.plan = plan
        self.request = request
        self.provider = provider
        self.writer = writer
        self.services = services
        self.context = context
        target = plan.passthrough ?? PassthroughTarget(method: request.method, path: "/")
        trace = InferenceEndpoints.trace(request, context)
        pluginCall = context.makePluginCall()
        pluginCall.open(source: self)
    }

    deinit {
        pluginCall.end()
        context.keepEnded(pluginCall)
    }

    func start() {
        writer.onClose = { [self] reason in
            switch reason {
            case .clientGone: clientWentAway()
            case .shutdown: fail(GatewayError.unavailable("The gateway is shutting down; retry the request."), log: "gateway shutting down")
            }
        }
        pluginCall.beginAttempt(0)
        let call = CallDescription(
            operation: SY_OP_PASSTHROUGH, stream: false, attempt: 0, requestID: plan.requestID, upstreamModel: "", handle: pluginCall.handle,
            pluginCall: pluginCall)
        let mark = context.hookWatch.enter(.prepare, provider: provider.watchTag)
        let prepared = provider.plugin.passthrough(call, method: target.method, path: target.path)
        _ = context.hookWatch.exit(mark)
        if case .failure? = prepared { context.hookWatch.failed(mark) }
        let draft: UpstreamRequestBuilder
        switch prepared {
        case .none:
            return fail(GatewayError(status: 403, type: "permission_error", code: "passthrough_unsupported",
                                     message: "Provider '\(plan.attempts[0].provider)' does not take passthrough requests."), log: "no passthrough hook")
        case .failure(let failure)? where failure.httpStatus == 400:
            // The client's method or path, refused by the provider: the client's to fix.
            return fail(GatewayError.invalidRequest("Provider \(plan.attempts[0].provider): \(failure.message)", code: "invalid_path"), log: failure.message)
        case .failure(let failure)?:
            return fail(GatewayError.internalError("Provider \(plan.attempts[0].provider) could not prepare the passthrough request"), log: failure.message)
        case .success(let built)?:
            draft = built
        }

        let enrichers = services.enrichers(for: plan.attempts[0].provider, among: plan.chains.enrichers)
        // An enricher that may read the response must see its bytes, not a compressed form of them.
        let identity = enrichers.contains { $0.plugin.phases & SY_PHASE_RESPONSE != 0 }
        let forwarded = ForwardedHeaders.upstream(
            request.headers, requestID: plan.requestID, trace: (trace.traceparent(random: &context.random), trace.state), providerSet: Set(draft.headers.map { $0.name.lowercased() }), identityEncoding: identity)
        var upstreamRequest = UpstreamRequest(
            method: target.method, url: draft.url, headers: draft.headers.map { ($0.name, $0.value) } + forwarded, body: request.body,
            connectTimeout: provider.limits.connectTimeout, totalTimeout: provider.limits.totalTimeout,
            firstByteTimeout: provider.limits.firstByteTimeout, idleTimeout: provider.limits.idleTimeout)
        if let stream = request.bodyStream {
            let upload = PassthroughUpload(stream)
            self.upload = upload
            upstreamRequest.bodySource = upload
        }
        upstreamStartedAt = monotonicNanoseconds()
        transfer = context.upstream.start(upstreamRequest, delegate: self)

        // The enrichers begin once the request is on its way (the transport calls back on a later
        // loop turn, never inside `start`), so they never hold it up.
        guard !enrichers.isEmpty else { return }
        // The request head as the upstream gets it, less the provider's credentials.
        let head = ExchangeHead(status: 0, method: target.method, path: target.path, headers: forwarded.map { (name: $0.0, value: $0.1) })
        guard let tap = EnricherTap(enrichers, call: call, request: head, log: services.log, watch: context.hookWatch) else { return }
        self.tap = tap
        if tap.readsRequestBody {
            if let upload { upload.tap = tap } else if !request.body.isEmpty { request.body.withUnsafeBytes { tap.requestData($0) } }
        }
    }

    // MARK: upstream callbacks

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        upload?.flushToEnrichers()
        var (forwarded, contentLength) = ForwardedHeaders.downstream(headers)
        isEventStream = forwarded["content-type"]?.lowercased().hasPrefix("text/event-stream") == true
        for (name, value) in planHeaders() { forwarded.add(name, value) }
        responseStarted = true
        writer.startStream(status: status, headers: forwarded, contentLength: contentLength)
        tap?.response(status: status, headers: headers)
    }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        writer.write(chunk)
        tap?.responseData(chunk)
        if writer.isBackpressured, !receivingPaused, let transfer {
            receivingPaused = true
            transfer.pauseReceiving()
            writer.onDrained = { [weak self] in self?.clientDrained() }
        }
    }

    private func clientDrained() {
        guard receivingPaused else { return }
        receivingPaused = false
        transfer?.resumeReceiving()
    }

    func upstreamComplete(_ result: UpstreamResult) {
        transfer = nil
        upstreamNanoseconds = monotonicNanoseconds() &- upstreamStartedAt
        guard !finished, !stopping else { return }
        switch result {
        case .success:
            writer.finish()
            finish(status: status, outcome: SY_OK)
        case .failure(let error):
            let failure = provider.limits.failure(for: error, afterHead: responseStarted)
            if error.kind != .cancelled, error.message != failure.message { failureDetail = error.message }
            if let problem = upload?.clientProblem {
                // The client's body failed (bad framing, too slow, too large): its fault, said in its terms.
                return fail(GatewayError(status: problem.status, type: "invalid_request_error", code: problem.code, message: problem.message),
                            log: problem.message)
            }
            if responseStarted {
                // Headers are gone: cutting the connection is the only honest signal left.
                writer.abort()
                return finish(status: status, outcome: SY_E_UPSTREAM, failure: logText(failure.message))
            }
            let provider = plan.attempts[0].provider
            let gatewayError = failure.status == SY_E_TIMEOUT
                ? GatewayError.timeout("Provider \(provider): \(failure.message)")
                : GatewayError.upstream(status: 502, message: "Provider \(provider): \(failure.message)")
            fail(gatewayError, log: logText(failure.message))
        }
    }

    // MARK: ending

    private func planHeaders() -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add("X-Switchyard-Provider", plan.attempts[0].provider)
        headers.add("X-Switchyard-Mode", "passthrough")
        headers.add("X-Switchyard-Attempts", "1")
        let total = monotonicNanoseconds() &- request.receivedAt
        let upstream = monotonicNanoseconds() &- upstreamStartedAt
        headers.add("X-Switchyard-Overhead-Us", String((upstreamStartedAt == 0 || total < upstream ? total : total - upstream) / 1000))
        if let settlement = plan.settlement { for (name, value) in settlement.responseHeaders { headers.add(name, value) } }
        return headers
    }

    /// Answers with the gateway's own error (nothing was sent yet), or cuts the response.
    private func fail(_ error: GatewayError, log: String) {
        guard !finished else { return }
        stopTransfer()
        if responseStarted {
            writer.abort()
        } else {
            var headers = planHeaders()
            headers.add("Content-Type", "application/json")
            writer.send(status: error.status, headers: headers, body: error.body)
        }
        finish(status: error.status, outcome: SY_E_UPSTREAM, failure: log)
    }

    private func clientWentAway() {
        guard !finished else { return }
        stopTransfer()
        pluginCall.cancel()
        finish(status: 499, outcome: SY_E_CANCELLED, failure: "client closed the connection")
    }

    private func stopTransfer() {
        stopping = true
        transfer?.cancel()
        transfer = nil
        upload?.cancel()
    }

    private func finish(status: Int, outcome: sy_status, failure: String? = nil) {
        guard !finished else { return }
        finished = true
        writer.onClose = nil
        writer.onDrained = nil
        upload?.flushToEnrichers()
        let enrichment = tap?.end(outcome: outcome)
        tap = nil
        pluginCall.end()
        services.accessLog.record(
            plan: plan, status: status, attempt: 0, startedAt: request.receivedAt, upstreamNanoseconds: upstreamNanoseconds,
            usage: enrichment?.usage, failure: failure, enrichment: enrichment, responseStreamed: isEventStream, traceID: trace.traceID, into: context)
    }

    private func logText(_ message: String) -> String {
        guard let failureDetail else { return message }
        return "\(message) (\(failureDetail))"
    }
}

extension PassthroughExecutor: PluginCallSource {
    var callRequestID: String { plan.requestID }

    func callFacts(attempt: Int) -> PluginCallFacts {
        PluginCallFacts(
            requestID: plan.requestID, endpoint: plan.operation.rawValue, mode: plan.mode.rawValue,
            model: "", requestedModel: "", provider: plan.attempts[0].provider, stream: false)
    }

    /// The routing table (immutable, so any hook's thread may read it).
    var callRouter: (any PluginCallRouter)? { services.planner.routing }
}
