import SwitchyardPluginSDK

/// Observes calls to Anthropic's Messages API and reports their operation, model, usage and
/// audit path. Stateless between calls: every call gets its own `AnthropicObservation`.
final class AnthropicEnricher: Enricher {
    static let phases: ExchangePhases = [.request, .response]

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        _ = try ProviderConfig(config, knownKeys: [])
    }

    func begin(_ call: PluginCall, info: CallInfo, request: ExchangeHead) throws(PluginError) -> (any EnrichmentObservation)? {
        guard let route = AnthropicRoute(request) else { return nil }
        return AnthropicObservation(route: route, request: request)
    }
}
