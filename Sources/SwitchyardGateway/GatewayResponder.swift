import SwitchyardCore
import SwitchyardHTTP
import SwitchyardPosix
import SwitchyardUpstream
import Synchronization

/// Routes each request to its endpoint. Called by the HTTP server on the connection's loop.
/// The endpoints that depend on the config come from the loop's current generation
/// (`LoopContext.generation`), taken once per request; the rest lives as long as the process.
final class GatewayResponder: HTTPResponder, @unchecked Sendable {
    let storedResponses: StoredResponsesEndpoint
    /// `/admin/*` on this listener: nil when no admin key is configured (the paths do not exist).
    let admin: AdminEndpoint?
    /// `GET /metrics`: every loop's shard merged (process-level: numbers outlive reloads).
    let metrics: MetricsEndpoint
    /// Client keys (decision 0024): process-level, follows reloads (`keys.required`, master key).
    let authentication: Authentication
    /// The secret that marks requests this gateway's plugins send to it (`http_send` of a path).
    let internalRequests = InternalRequests()
    /// Each event loop's upstream client and access-log batch, keyed by the loop's identity;
    /// filled before the server starts and read-only afterwards.
    private var contexts: [ObjectIdentifier: LoopContext] = [:]
    /// The internal listener's loops: the only ones where the internal secret means anything (a
    /// client of the public listener who learned it gains nothing). Set before the servers start.
    var internalLoops: Set<ObjectIdentifier> = []
    /// The generation installed last, for what runs off the request path (admin status, tests).
    /// Requests read their loop's copy instead.
    let installed: Mutex<GatewayGeneration>

    init(generation: GatewayGeneration, responses: ResponseStore, admin: AdminEndpoint?, metrics: GatewayMetrics = GatewayMetrics(),
         authentication: Authentication? = nil) {
        installed = Mutex(generation)
        self.authentication = authentication ?? Authentication(directory: NoKeys(), required: false, masterKey: nil)
        self.metrics = MetricsEndpoint(metrics: metrics)
        storedResponses = StoredResponsesEndpoint(store: responses)
        self.admin = admin
    }

    /// The current generation's services (tests, assembly).
    var services: GatewayServices { installed.withLock { $0.services } }

    /// `maxPluginResponseBytes` bounds a response to a plugin's `http_send`.
    func attach(loops: [EventLoop], maxPluginResponseBytes: Int) {
        for loop in loops {
            let context = LoopContext(loop: loop, internalRequests: internalRequests, maxPluginResponseBytes: maxPluginResponseBytes)
            context.generation = installed.withLock { $0 }
            contexts[ObjectIdentifier(loop)] = context
        }
        metrics.contexts = loops.compactMap { contexts[ObjectIdentifier($0)] }
    }

    /// Every loop's context, for installing a new generation (`GenerationSwap`).
    var loopContexts: [LoopContext] { Array(contexts.values) }

    /// Each loop's hook watch, in the order of `loops`.
    func hookWatches(_ loops: [EventLoop]) -> [HookWatch] {
        loops.compactMap { contexts[ObjectIdentifier($0)]?.hookWatch }
    }

    /// From now on each loop writes its access-log lines and hands its usage records to the
    /// store as they come (what it has batched, at once). Thread-safe: each loop switches when
    /// it gets to it.
    func beginDrain() {
        for (key, context) in contexts {
            context.accessLog.loop.execute { [self] in
                contexts[key]?.accessLog.writeThrough()
                contexts[key]?.usage.writeThrough()
            }
        }
    }

    /// Writes the access-log lines still batched and queues the usage records still buffered
    /// (the store's close commits them); only once every loop has stopped.
    func flushAfterStop() {
        for context in contexts.values {
            context.accessLog.flush()
            context.usage.flushAfterStop()
        }
    }

    /// Passthrough bodies stream to the upstream as they arrive (any size, flat memory), for a
    /// provider open to passthrough, and so do file uploads; every other request (one about to
    /// be refused included) reads its body whole first, within `max_body_bytes`. Decided by the
    /// generation of the connection's loop, the one `respond` routes a streamed body with (it is
    /// dispatched at once, in the same event); a body read whole suits either generation.
    func streamsBody(method: String, target: String, headers: HTTPHeaders, loop: EventLoop) -> Bool {
        if FilesEndpoint.streamsBody(method: method, target: target) { return true }
        guard target.hasPrefix(PassthroughEndpoint.prefix) else { return false }
        // Passthrough only (the chat path returned above). On `loop`: its context's generation
        // is read on the thread that owns it.
        let generation = contexts[ObjectIdentifier(loop)]?.generation ?? installed.withLock { $0 }
        return generation.services.providers[PassthroughEndpoint.split(target).provider]?.passthrough != nil
    }

    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        do throws(GatewayError) {
            let onInternalListener = internalLoops.contains(ObjectIdentifier(writer.loop))
            if onInternalListener {
                // The internal listener is for this gateway's plugins only: anything else on it
                // (another local process) is refused, not served around the public listener.
                guard internalRequests.carriesSecret(request.headers) else {
                    throw GatewayError(status: 403, type: "permission_error", code: "internal_listener",
                                       message: "This listener takes only the gateway's own plugin requests.")
                }
                try route(internalRequests.stripped(request), isInternal: true, writer: writer)
            } else {
                try route(request, isInternal: false, writer: writer)
            }
        } catch {
            // Refused before it had a plan (a bad body, an unknown model): counted with no model
            // or provider, so what clients send never grows the series.
            contexts[ObjectIdentifier(writer.loop)]?.metrics.recordRefusal(route: MetricRoute.id(path: request.path), status: error.status, startedAt: request.receivedAt)
            // Anthropic's SDK reads its own error shape; every other route speaks OpenAI's.
            if request.path.hasPrefix("/v1/messages") {
                let body = anthropicErrorBody(status: error.status, gatewayError: error.body)
                writer.send(status: error.status, headers: Self.errorHeaders(error), body: body)
            } else {
                Self.send(error, to: writer)
            }
        }
    }

    private func route(_ request: HTTPRequest, isInternal: Bool, writer: ResponseWriter) throws(GatewayError) {
        switch request.path {
        case "/v1/chat/completions", "/chat/completions":
            guard allows("POST", request, writer) else { return }
            let context = try context(of: writer)
            try context.current.inference.chatCompletions(request, writer: writer, context: context, internalRequest: isInternal, identity: try identify(request, isInternal))
        case "/v1/messages":
            guard allows("POST", request, writer) else { return }
            let context = try context(of: writer)
            try context.current.inference.messages(request, writer: writer, context: context, internalRequest: isInternal, identity: try identify(request, isInternal))
        case "/v1/messages/count_tokens":
            guard allows("POST", request, writer) else { return }
            let context = try context(of: writer)
            try context.current.inference.countTokens(request, writer: writer, context: context, internalRequest: isInternal, identity: try identify(request, isInternal))
        case "/v1/responses":
            guard allows("POST", request, writer) else { return }
            let context = try context(of: writer)
            try context.current.inference.createResponse(request, writer: writer, context: context, internalRequest: isInternal, identity: try identify(request, isInternal))
        case "/v1/embeddings", "/embeddings":
            guard allows("POST", request, writer) else { return }
            let context = try context(of: writer)
            try context.current.inference.embeddings(request, writer: writer, context: context, internalRequest: isInternal, identity: try identify(request, isInternal))
        case let path where path.hasPrefix(PassthroughEndpoint.prefix):
            let identity = try identify(request, isInternal)
            try identity?.authorizeUncheckedModels(path: request.path)
            let context = try context(of: writer)
            try context.current.passthrough.forward(request, writer: writer, context: context, internalRequest: isInternal, identity: identity)
        case let path where path == FilesEndpoint.collection || path.hasPrefix(FilesEndpoint.prefix):
            let identity = try identify(request, isInternal)
            let context = try context(of: writer)
            try context.current.files.handle(request, writer: writer, context: context, internalRequest: isInternal, caller: identity?.caller)
        case let path where path == BatchesEndpoint.prefix || path.hasPrefix(BatchesEndpoint.prefix + "/"):
            let identity = try identify(request, isInternal)
            try identity?.authorizeUncheckedModels(path: request.path)
            let context = try context(of: writer)
            try context.current.batches.handle(request, writer: writer, context: context, internalRequest: isInternal, caller: identity?.caller)
        case let path where path.hasPrefix(StoredResponsesEndpoint.prefix):
            let identity = try identify(request, isInternal)
            try storedResponses.handle(request, writer: writer, caller: identity?.caller)
        case "/v1/models", "/models":
            guard allows("GET", request, writer) else { return }
            let identity = try identify(request, isInternal)
            Self.sendJSON(try context(of: writer).current.models.body(for: identity), to: writer)
        case "/metrics":
            guard allows("GET", request, writer) else { return }
            metrics.scrape(writer: writer)
        case "/health", "/healthz":
            guard allows("GET", request, writer) else { return }
            Self.sendJSON(Array(#"{"status":"ok"}"#.utf8), to: writer)
        case let path where path.hasPrefix(AdminEndpoint.prefix):
            // Without a key, admin paths do not exist on this listener (decision 0023).
            guard let admin else { throw GatewayError.routeNotFound(method: request.method, path: request.path) }
            try admin.handle(request, writer: writer)
        default:
            throw GatewayError.routeNotFound(method: request.method, path: request.path)
        }
    }

    /// The request's key when keys are required (a 401 or a route's 403 otherwise); nil on an
    /// open gateway and for the gateway's own plugins' requests. The bare path: one flag check.
    @inline(__always)
    private func identify(_ request: HTTPRequest, _ isInternal: Bool) throws(GatewayError) -> ClientIdentity? {
        guard authentication.isRequired, !isInternal else { return nil }
        return try authentication.identify(request)
    }

    private func context(of writer: ResponseWriter) throws(GatewayError) -> LoopContext {
        guard let context = contexts[ObjectIdentifier(writer.loop)] else {
            throw GatewayError.internalError("no upstream client on this event loop")
        }
        return context
    }

    /// True when the request's method fits the route (GET routes also answer HEAD); otherwise
    /// answers 405 with an Allow header.
    private func allows(_ method: String, _ request: HTTPRequest, _ writer: ResponseWriter) -> Bool {
        if request.method == method || (method == "GET" && request.method == "HEAD") { return true }
        let error = GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: method)
        writer.send(status: error.status, headers: HTTPHeaders([("Content-Type", "application/json"), ("Allow", method)]), body: error.body)
        return false
    }

    static func sendJSON(_ body: [UInt8], to writer: ResponseWriter) {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        writer.send(status: 200, headers: headers, body: body)
    }

    static func send(_ error: GatewayError, to writer: ResponseWriter) {
        writer.send(status: error.status, headers: errorHeaders(error), body: error.body)
    }

    /// JSON, `Retry-After` when the error says when to come back (every breaker open), and the
    /// error's own headers (a refusal's `x-ratelimit-*`).
    static func errorHeaders(_ error: GatewayError) -> HTTPHeaders {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if let seconds = error.retryAfter { headers.add("Retry-After", String(seconds)) }
        for (name, value) in error.headers { headers.add(name, value) }
        return headers
    }
}
