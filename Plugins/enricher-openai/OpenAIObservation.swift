import SwitchyardPluginSDK

/// One call to an OpenAI-compatible API. The request body is read (up to 1 MiB) for its
/// `model` only on metered routes; the response body, whole or SSE, for `model` and `usage`.
/// Confined to the call's event loop (the host never overlaps its hooks).
final class OpenAIObservation: EnrichmentObservation {
    private let route: OpenAIRoute
    private var bodies: ObservedExchange
    private var requestModel: String?
    private var responseModel: String?
    private var usage: TokenUsage?

    init(route: OpenAIRoute, request head: ExchangeHead) {
        self.route = route
        // Only the metered routes name a model in their JSON body; an upload is not read.
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
        return EnrichmentReport(
            operation: route.operation,
            model: responseModel ?? requestModel ?? route.deployment,
            usage: bodies.responseIsReadable ? usage : nil,
            auditPath: route.auditPath)
    }

    /// The request body, whole once it has gone upstream: its `model`.
    private func readRequest(_ document: UnsafeRawBufferPointer) {
        RawJSON.forEachMember(document) { key, value in
            if requestModel == nil, RawJSON.key(key, is: "model") { requestModel = RawJSON.string(value) }
        }
    }

    /// One response document: the whole body, or one SSE event. Chat chunks repeat `model`
    /// (read once) and carry `usage` (null, or the counts in the last chunk); Responses events
    /// carry the response object under `response` (usage in `response.completed`).
    private func read(_ document: UnsafeRawBufferPointer) {
        // Content deltas, nearly all of a stream, carry neither: skipped unparsed.
        if responseModel != nil, !RawJSON.mentions(document, "usage") { return }
        let responses = route.metered == .responses
        RawJSON.forEachMember(document) { key, value in
            if RawJSON.key(key, is: "model") {
                if responseModel == nil { responseModel = RawJSON.string(value) }
            } else if RawJSON.key(key, is: "usage") {
                if RawJSON.isObject(value) { usage = responses ? OpenAIUsage.responses(value) : OpenAIUsage.chat(value) }
            } else if responses, RawJSON.key(key, is: "response"), RawJSON.isObject(value) {
                read(value)
            }
        }
    }
}
