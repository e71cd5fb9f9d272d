import SwitchyardCore
import SwitchyardHTTP

/// The endpoints that call a provider: validate, plan, build the ingress request, execute.
/// Each runs on the connection's loop; a `GatewayError` thrown here is answered by the
/// responder in the route's error shape. `internalRequest`: the request came from one of this
/// gateway's plugins (`InternalRequests`). `identity`: the request's key when keys are required
/// (its model is checked once planned, and it becomes the plan's caller).
struct InferenceEndpoints {
    let services: GatewayServices
    let responses: ResponseStore

    /// `POST /v1/chat/completions`.
    func chatCompletions(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext, internalRequest: Bool = false, identity: ClientIdentity? = nil) throws(GatewayError) {
        let chat = try ChatRequest(body: request.body, receivedAt: request.receivedAt)
        var plan = try services.planner.plan(
            requestID: request.requestID, operation: .chatCompletions, model: chat.head.model, stream: chat.head.stream, internalRequest: internalRequest,
            inputs: RoutingInputs(operation: .chatCompletions, request: request, random: &context.random))
        try plan.authorize(identity)
        guard services.governance != nil else { return execute(plan, chat, request, writer, context) }
        services.admit(plan, .generation(outputTokens: true), request, writer: writer, context: context) { plan in
            execute(plan, chat, request, writer, context)
        }
    }

    /// `POST /v1/embeddings`.
    func embeddings(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext, internalRequest: Bool = false, identity: ClientIdentity? = nil) throws(GatewayError) {
        let embeddings = try EmbeddingsRequest(body: request.body, receivedAt: request.receivedAt)
        var plan = try services.planner.plan(
            requestID: request.requestID, operation: .embeddings, model: embeddings.body.head.model, stream: false, internalRequest: internalRequest,
            inputs: RoutingInputs(operation: .embeddings, request: request, random: &context.random))
        try plan.authorize(identity)
        guard services.governance != nil else { return execute(plan, embeddings, request, writer, context) }
        services.admit(plan, .generation(outputTokens: false), request, writer: writer, context: context) { plan in
            execute(plan, embeddings, request, writer, context)
        }
    }

    /// `POST /v1/messages`.
    func messages(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext, internalRequest: Bool = false, identity: ClientIdentity? = nil) throws(GatewayError) {
        let head = try RequestHead(jsonBody: request.body)
        var plan = try services.planner.plan(
            requestID: request.requestID, operation: .messages, model: head.model, stream: head.stream, internalRequest: internalRequest,
            inputs: RoutingInputs(operation: .messages, request: request, random: &context.random))
        try plan.authorize(identity)
        let messages = try MessagesRequest(body: request.body, receivedAt: request.receivedAt, translate: plan.needsTranslation)
        guard services.governance != nil else { return execute(plan, messages, request, writer, context) }
        services.admit(plan, .generation(outputTokens: true), request, writer: writer, context: context) { plan in
            execute(plan, messages, request, writer, context)
        }
    }

    /// `POST /v1/messages/count_tokens`.
    func countTokens(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext, internalRequest: Bool = false, identity: ClientIdentity? = nil) throws(GatewayError) {
        let head = try RequestHead(jsonBody: request.body)
        var plan = try services.planner.plan(
            requestID: request.requestID, operation: .countTokens, model: head.model, stream: false, internalRequest: internalRequest,
            inputs: RoutingInputs(operation: .countTokens, request: request, random: &context.random))
        try plan.authorize(identity)
        let count = try CountTokensRequest(body: request.body, receivedAt: request.receivedAt)
        guard services.governance != nil else { return execute(plan, count, request, writer, context) }
        services.admit(plan, .requestsOnly, request, writer: writer, context: context) { plan in
            execute(plan, count, request, writer, context)
        }
    }

    /// `POST /v1/responses`. With a `previous_response_id` that a translated attempt needs,
    /// the stored response is looked up first and the request goes on when the store answers
    /// (on this loop); without one nothing waits.
    func createResponse(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext, internalRequest: Bool = false, identity: ClientIdentity? = nil) throws(GatewayError) {
        let head = try RequestHead(jsonBody: request.body)
        var plan = try services.planner.plan(
            requestID: request.requestID, operation: .responses, model: head.model, stream: head.stream, internalRequest: internalRequest,
            inputs: RoutingInputs(operation: .responses, request: request, random: &context.random))
        try plan.authorize(identity)
        let received = try ResponsesRequest.Received(body: request.body, translate: plan.needsTranslation)
        guard services.governance != nil else { return try createResponse(plan, received, request, writer: writer, context: context) }
        services.admit(plan, .generation(outputTokens: true), request, writer: writer, context: context) { plan in
            do throws(GatewayError) { try createResponse(plan, received, request, writer: writer, context: context) } catch {
                // Past the responder's catch: the plan ends in the access log (settling its hold).
                services.accessLog.record(
                    plan: plan, status: error.status, attempt: 0, startedAt: request.receivedAt, upstreamNanoseconds: 0, usage: nil,
                    failure: error.message, into: context)
                GatewayResponder.send(error, to: writer)
            }
        }
    }

    /// The planned (and admitted) `/v1/responses` request: at once, or once the stored previous
    /// response is read.
    private func createResponse(_ plan: ExecutionPlan, _ received: ResponsesRequest.Received, _ request: HTTPRequest, writer: ResponseWriter,
                                context: LoopContext) throws(GatewayError) {
        // A virtual key continues only its own responses, also where a native provider would
        // resolve the id itself (one upstream account serves every key).
        let owners = OwnerFilter(plan.caller)
        let checksNative = owners.keyID != nil && received.parsed == nil
        guard let previous = received.previousResponseID ?? (checksNative ? ResponsesRequest.Received.namedPreviousResponseID(request.body) : nil) else {
            execute(plan, try ResponsesRequest(received, receivedAt: request.receivedAt, store: responses, owner: plan.caller?.keyID, previous: nil), request, writer, context)
            return
        }
        // Loop-confined values, carried to the completion that runs on this same loop.
        let trace = Self.trace(request, context)
        let audit = services.audit?.capture(plan, path: request.path, body: request.body)
        let confined = UncheckedSendable((self, plan, received, request.receivedAt, writer, context, audit))
        responses.entry(previous, on: writer.loop) { result in
            let (endpoints, plan, received, receivedAt, writer, context, audit) = confined.value
            do throws(GatewayError) {
                let entry: ResponseStore.Entry?
                switch result {
                // Another key's response is not found, exactly like an unknown id.
                case .success(let found): entry = found.flatMap { owners.admits($0.owner) ? $0 : nil }
                case .failure(let error): throw StoredResponsesEndpoint.unavailable(error)
                }
                if checksNative, entry == nil { throw ResponsesRequest.previousNotFound(previous) }
                let created = try ResponsesRequest(received, receivedAt: receivedAt, store: endpoints.responses, owner: plan.caller?.keyID, previous: entry)
                let executor = PlanExecutor(plan: plan, request: created, writer: writer, services: endpoints.services, context: context, trace: trace)
                executor.audit = audit
                executor.start()
            } catch {
                // Past the responder's own catch (this runs later): the request had a plan, so
                // it ends in the access log and the metrics like any other planned request.
                endpoints.services.accessLog.record(
                    plan: plan, status: error.status, attempt: 0, startedAt: receivedAt, upstreamNanoseconds: 0, usage: nil,
                    failure: error.message, traceID: trace.traceID, into: context)
                GatewayResponder.send(error, to: writer)
            }
        }
    }

    private func execute(_ plan: ExecutionPlan, _ request: any IngressRequest, _ http: HTTPRequest, _ writer: ResponseWriter, _ context: LoopContext) {
        let executor = PlanExecutor(plan: plan, request: request, writer: writer, services: services, context: context, trace: Self.trace(http, context))
        if let audit = services.audit { executor.audit = audit.capture(plan, path: http.path, body: http.body) }
        executor.start()
    }

    /// The client's trace continued, or a new one (TraceContext).
    static func trace(_ request: HTTPRequest, _ context: LoopContext) -> TraceContext {
        // By length first: a client's headers rarely hold either, and this runs on every request.
        var parent: String?
        var state: String?
        for (name, value) in request.headers.pairs {
            switch name.utf8.count {
            case 11: if parent == nil, HTTPHeaders.equalIgnoringCase(name, "traceparent") { parent = value }
            case 10: if state == nil, HTTPHeaders.equalIgnoringCase(name, "tracestate") { state = value }
            default: continue
            }
        }
        return TraceContext(traceparent: parent, tracestate: parent == nil ? nil : state, random: &context.random)
    }
}

extension ExecutionPlan {
    /// True when some attempt needs the host to translate the client's format to the canonical one.
    var needsTranslation: Bool { attempts.contains { !$0.isNative(for: operation) } }
}
