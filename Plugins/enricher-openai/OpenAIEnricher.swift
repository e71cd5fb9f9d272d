import SwitchyardPluginSDK

/// Observes calls to OpenAI-compatible APIs (OpenAI, Azure OpenAI, vLLM, Ollama's /v1, ...)
/// and reports their operation, model, usage and audit path. Stateless between calls: every
/// call gets its own `OpenAIObservation`.
final class OpenAIEnricher: Enricher {
    static let phases: ExchangePhases = [.request, .response]

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        _ = try ProviderConfig(config, knownKeys: [])
    }

    func begin(_ call: PluginCall, info: CallInfo, request: ExchangeHead) throws(PluginError) -> (any EnrichmentObservation)? {
        guard let route = OpenAIRoute(request) else { return nil }
        return OpenAIObservation(route: route, request: request)
    }
}
