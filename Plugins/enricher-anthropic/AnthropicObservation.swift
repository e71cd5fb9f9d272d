import SwitchyardPluginSDK

/// One call to Anthropic's API. The request body is read (up to 1 MiB) for `model` on the
/// metered routes; the response, whole or SSE, for `model` and `usage`: a whole message has
/// both at the top; a stream's `message_start` carries them inside `message` (input, cache
/// reads and writes, a first output count) and each `message_delta` the cumulative output.
/// Confined to the call's event loop (the host never overlaps its hooks).
final class AnthropicObservation: EnrichmentObservation {
    private let route: AnthropicRoute
    private var bodies: ObservedExchange
    private var requestModel: String?
    private var responseModel: String?
    private var usage = AnthropicUsage()
    /// A usage object was read (or, for count_tokens, a whole answer).
    private var counted = false

    init(route: AnthropicRoute, request head: ExchangeHead) {
        self.route = route
        bodies = route.metered == nil ? ObservedExchange(response: nil) : ObservedExchange(request: head)
    }

    func data(_ chunk: UnsafeRawBufferPointer, phase: ExchangePhase) throws(PluginError) {
        bodies.feed(chunk, phase: phase) { document in read(document) }
    }

    func response(_ head: ExchangeHead) throws(PluginError) {
        bodies.start(response: head) { document in readRequest(document) }
    }

    func end(_ outcome: ExchangeOutcome) throws(PluginError) -> EnrichmentReport {
        bodies.finish(request: { document in readRequest(document) }, response: { document in read(document) })
        let usage: TokenUsage? = switch route.metered {
        case .messages where counted && bodies.responseIsReadable: self.usage.canonical
        // Counting is free: the provider plugin reports zero tokens for it too.
        case .countTokens where counted && bodies.responseIsReadable: AnthropicUsage().canonical
        default: nil
        }
        return EnrichmentReport(operation: route.operation, model: responseModel ?? requestModel, usage: usage, auditPath: route.auditPath)
    }

    /// The request body, whole once it has gone upstream: its `model`.
    private func readRequest(_ document: UnsafeRawBufferPointer) {
        RawJSON.forEachMember(document) { key, value in
            if requestModel == nil, RawJSON.key(key, is: "model") { requestModel = RawJSON.string(value) }
        }
    }

    /// One response document: the whole message, the count_tokens answer, or one SSE event.
    private func read(_ document: UnsafeRawBufferPointer) {
        // Content deltas, nearly all of a stream, carry neither: skipped unparsed.
        if route.metered == .messages, responseModel != nil, !RawJSON.mentions(document, "usage") { return }
        let valid = RawJSON.forEachMember(document) { key, value in
            if RawJSON.key(key, is: "usage"), RawJSON.isObject(value) {
                usage.update(value)  // a whole message, or message_delta
                counted = true
            } else if RawJSON.key(key, is: "message"), RawJSON.isObject(value) {
                read(value)  // message_start: the message as it begins
            } else if RawJSON.key(key, is: "model"), responseModel == nil {
                responseModel = RawJSON.string(value)
            }
        }
        if route.metered == .countTokens, valid { counted = true }
    }
}
