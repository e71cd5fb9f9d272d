import SwitchyardCore

/// Endpoint + config + request → the immutable ExecutionPlan every later stage reads.
struct PlanBuilder: Sendable {
    let routing: RoutingTable
    /// Plugin instances by kind, as configured; composed per request only where the endpoint's
    /// capabilities allow that kind.
    let configuredChains: PluginChains
    /// Operations each provider instance declares (its plugin's manifest `operations`).
    let providerOperations: [String: Set<String>]

    /// `internalRequest`: sent by one of this gateway's plugins (`InternalRequests`); planned
    /// without guardrails.
    func plan(requestID: String, operation: EndpointOperation, model: String, stream: Bool, internalRequest: Bool = false) throws(GatewayError) -> ExecutionPlan {
        let capabilities = operation.capabilities
        if stream && !capabilities.contains(.streaming) {
            throw GatewayError.invalidRequest("Streaming is not supported on this endpoint.", code: "unsupported_parameter", param: "stream")
        }
        let (resolution, candidates) = try routing.resolve(model)
        let attempts = candidates.compactMap { candidate in
            providerOperation(for: operation, serving: providerOperations[candidate.provider] ?? []).map {
                Attempt(provider: candidate.provider, plugin: candidate.plugin, upstreamModel: candidate.upstreamModel, operation: $0)
            }
        }
        guard !attempts.isEmpty else {
            let names = candidates.map(\.provider).joined(separator: ", ")
            throw GatewayError.invalidRequest(
                "Model '\(model)' is served by \(names), which cannot serve \(operation.rawValue) requests.",
                code: "unsupported_model_operation", param: "model")
        }
        let chains = PluginChains(
            guardrails: capabilities.contains(.guardrails) && !internalRequest ? configuredChains.guardrails : [],
            enrichers: capabilities.contains(.semanticExtraction) ? configuredChains.enrichers : [])
        return ExecutionPlan(
            requestID: requestID, operation: operation, mode: .translated, capabilities: capabilities,
            stream: stream, resolution: resolution, attempts: attempts, chains: chains, internalRequest: internalRequest)
    }
}

/// The operation a provider is called with for an ingress operation: natively when it declares
/// it, else through the canonical chat form where the host can translate; nil when it cannot
/// serve the request at all.
func providerOperation(for ingress: EndpointOperation, serving operations: Set<String>) -> EndpointOperation? {
    if operations.contains(ingress.rawValue) { return ingress }
    switch ingress {
    case .messages, .responses:
        return operations.contains(EndpointOperation.chatCompletions.rawValue) ? .chatCompletions : nil
    default:
        return nil
    }
}
