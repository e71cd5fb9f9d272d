import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPosix
import SwitchyardStore
import SwitchyardUpstream

/// One `/v1/files…` or `/v1/batches…` request while it runs: its answer (once), the upstream
/// call to stop when the client leaves, and its access-log line (mode native_file or
/// native_batch, the provider once known).
///
/// Threading: confined to the request's loop; `@unchecked Sendable` only so that store
/// completions, which run on that loop, may carry it. Lifetime: retained by the writer's
/// `onClose` and by the callbacks in flight until it finishes.
final class NativeRequest: @unchecked Sendable {
    let request: HTTPRequest
    let writer: ResponseWriter
    let services: GatewayServices
    let context: LoopContext
    let internalRequest: Bool
    /// Who sent it when keys are required (the plan its access-log line is recorded with carries it).
    var caller: Caller?
    /// `.files` or `.batches`.
    let operation: EndpointOperation
    var mode: ExecutionMode { operation == .batches ? .nativeBatch : .nativeFile }
    /// The plugin call the provider's hook sees (made on first use: a listing needs none).
    private(set) lazy var call = NativeCall(requestID: request.requestID, endpoint: operation.rawValue, mode: mode.rawValue, context: context)
    /// The provider the request is about, once known.
    var provider = "" {
        didSet { call.provider = provider }
    }
    /// The upstream call in flight, if any (cancelled when the client leaves).
    var transfer: (any UpstreamCall)? {
        didSet { if transfer != nil, upstreamStartedAt == 0 { upstreamStartedAt = monotonicNanoseconds() } }
    }
    /// Called when the client leaves or the gateway shuts down, before the line is logged.
    var onStop: (() -> Void)?
    private(set) var finished = false
    /// The hold on rpm and concurrency (governance), ended with the access-log line.
    var settlement: (any Settlement)?
    private var upstreamStartedAt: UInt64 = 0

    init(request: HTTPRequest, writer: ResponseWriter, services: GatewayServices, context: LoopContext, internalRequest: Bool,
         operation: EndpointOperation = .files) {
        self.request = request
        self.operation = operation
        self.writer = writer
        self.services = services
        self.context = context
        self.internalRequest = internalRequest
        writer.onClose = { [self] reason in
            // Finished first, so that the cancelled call's completion finds nothing to answer.
            let (stopping, inFlight) = (onStop, transfer)
            switch reason {
            case .clientGone: finish(status: 499, failure: "client closed the connection")
            case .shutdown: fail(GatewayError.unavailable("The gateway is shutting down; retry the request."))
            }
            stopping?()
            inFlight?.cancel()
            transfer = nil
        }
    }

    /// Runs `start` once the request is admitted under rpm and concurrency (governance on);
    /// a refusal is answered and logged like any failure. `start`'s errors are answered too.
    func admitted(_ start: @escaping () throws(GatewayError) -> Void) {
        guard let governance = services.governance else {
            do throws(GatewayError) { try start() } catch { fail(error) }
            return
        }
        var plan = ExecutionPlan(
            requestID: request.requestID, operation: operation, mode: mode, capabilities: operation.capabilities, stream: false,
            resolution: ModelResolution(requested: "", resolved: "", aliases: []), attempts: [Attempt(provider: "", plugin: "", upstreamModel: "", operation: operation)],
            chains: PluginChains(), internalRequest: internalRequest, passthrough: PassthroughTarget(method: request.method, path: request.target))
        plan.caller = caller
        governance.admit(plan, request: request, admission: .requestsOnly, on: writer.loop) { [self] result in
            switch result {
            case .success(let held):
                settlement = held
                do throws(GatewayError) { try start() } catch { fail(error) }
            case .failure(let error): fail(error)
            }
        }
    }

    /// The `x-ratelimit-*` headers of the limits the request was admitted under (none without).
    func addLimitHeaders(to headers: inout HTTPHeaders) {
        guard let settlement else { return }
        for (name, value) in settlement.responseHeaders { headers.add(name, value) }
    }

    /// The store, or a 503 (a gateway assembled without one: tests of other parts).
    var store: Store? { services.store }

    func answer(_ value: JSONValue, status: Int = 200) {
        send(status: status, body: value.serialized(), failure: nil)
    }

    /// Answers `error` with its `Retry-After` and extra headers (a budget refusal's
    /// `x-should-retry: false`).
    func fail(_ error: GatewayError, detail: String? = nil) {
        var extra = error.headers
        if let seconds = error.retryAfter { extra.insert(("Retry-After", String(seconds)), at: 0) }
        send(status: error.status, body: error.body, failure: detail ?? error.message, headers: extra)
    }

    /// Answers `body` (JSON) with `status`, once; `failure` goes to the log line.
    func send(status: Int, body: [UInt8], failure: String?, headers extra: [(name: String, value: String)] = []) {
        guard !finished else { return }
        if writer.isClosed { return finish(status: status, failure: failure) }
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("X-Switchyard-Mode", mode.rawValue)])
        if !provider.isEmpty { headers.add("X-Switchyard-Provider", provider) }
        for (name, value) in extra { headers.add(name, value) }
        addLimitHeaders(to: &headers)
        writer.send(status: status, headers: headers, body: body)
        finish(status: status, failure: failure)
    }

    /// The exchange is over (the response was sent or cut): logs its line once.
    func finish(status: Int, failure: String?) {
        guard !finished else { return }
        finished = true
        writer.onClose = nil
        writer.onDrained = nil
        onStop = nil
        let upstream = upstreamStartedAt == 0 ? 0 : monotonicNanoseconds() &- upstreamStartedAt
        let attempt = Attempt(provider: provider, plugin: services.providers[provider]?.plugin.name ?? "", upstreamModel: "", operation: operation)
        var plan = ExecutionPlan(
            requestID: request.requestID, operation: operation, mode: mode, capabilities: operation.capabilities, stream: false,
            resolution: ModelResolution(requested: "", resolved: "", aliases: []), attempts: [attempt], chains: PluginChains(),
            internalRequest: internalRequest, passthrough: PassthroughTarget(method: request.method, path: request.target))
        plan.caller = caller
        plan.settlement = settlement
        services.accessLog.record(
            plan: plan, status: status, attempt: 0, startedAt: request.receivedAt, upstreamNanoseconds: upstream, usage: nil, failure: failure,
            into: context)
    }
}
