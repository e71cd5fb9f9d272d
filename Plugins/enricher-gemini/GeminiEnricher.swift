import SwitchyardPluginSDK

/// Observes calls to Google's Generative Language API (Gemini) and reports their operation,
/// model, usage and audit path. The model is in the path, so only response bodies are read.
/// Stateless between calls: every call gets its own `GeminiObservation`.
final class GeminiEnricher: Enricher {
    static let phases: ExchangePhases = [.response]

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        _ = try ProviderConfig(config, knownKeys: [])
    }

    func begin(_ call: PluginCall, info: CallInfo, request: ExchangeHead) throws(PluginError) -> (any EnrichmentObservation)? {
        guard let route = GeminiRoute(request) else { return nil }
        return GeminiObservation(route: route)
    }
}
