import SwitchyardPluginSDK

/// One call to Gemini. The response is read for `usageMetadata` and `modelVersion`: whole
/// (`generateContent`, embeddings, countTokens), SSE (`streamGenerateContent?alt=sse`: each
/// chunk may carry usageMetadata, the last one complete) or a JSON array read element by element
/// (`streamGenerateContent` without alt=sse). Confined to the call's event loop.
final class GeminiObservation: EnrichmentObservation {
    private let route: GeminiRoute
    private var bodies: ObservedExchange
    private var responseModel: String?
    private var usage: GeminiUsage?
    /// A whole embeddings or countTokens answer was read.
    private var answered = false

    init(route: GeminiRoute) {
        self.route = route
        // The request body names nothing counted: only the response is read.
        bodies = ObservedExchange(response: route.metered == nil ? nil : ObservedBody(arrays: true))
    }

    func data(_ chunk: UnsafeRawBufferPointer, phase: ExchangePhase) throws(PluginError) {
        bodies.feed(chunk, phase: phase) { document in read(document) }
    }

    func response(_ head: ExchangeHead) throws(PluginError) {
        bodies.start(response: head) { _ in }
    }

    func end(_ outcome: ExchangeOutcome) throws(PluginError) -> EnrichmentReport {
        bodies.finish(request: { _ in }, response: { document in read(document) })
        let counted: TokenUsage? = switch route.metered {
        case .generate: usage?.canonical
        case .embed: answered ? GeminiUsage.embeddings : nil
        case .countTokens: answered ? GeminiUsage.countTokens : nil
        case nil: nil
        }
        return EnrichmentReport(operation: route.operation, model: responseModel ?? route.model,
                                usage: bodies.responseIsReadable ? counted : nil, auditPath: route.auditPath)
    }

    /// One response document: a whole answer, one SSE chunk or one array element.
    private func read(_ document: UnsafeRawBufferPointer) {
        // Chunks without counts are skipped unparsed once the model is known.
        if route.metered == .generate, responseModel != nil, !RawJSON.mentions(document, "usageMetadata") { return }
        let valid = RawJSON.forEachMember(document) { key, value in
            if RawJSON.key(key, is: "usageMetadata"), RawJSON.isObject(value) {
                if let latest = GeminiUsage(value) { usage = latest }
            } else if RawJSON.key(key, is: "modelVersion"), responseModel == nil {
                responseModel = RawJSON.string(value)
            }
        }
        if valid, route.metered != .generate { answered = true }
    }
}
