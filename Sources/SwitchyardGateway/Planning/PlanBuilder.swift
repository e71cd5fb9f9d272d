import SwitchyardCore

/// Endpoint + config + request → the immutable ExecutionPlan every later stage reads.
struct PlanBuilder: Sendable {
    let routing: RoutingTable
    /// The configured guardrails in the order they run; composed per request only where the
    /// endpoint's capabilities allow them and their scope takes in the model and route.
    let guardrails: [ConfiguredGuardrail]
    /// Operations each provider instance declares (its plugin's manifest `operations`).
    let providerOperations: [String: Set<String>]
    /// The configured enrichers in config order; composed for attempts in native mode
    /// (passthrough plans are made by PassthroughEndpoint).
    var enrichers: [ConfiguredEnricher] = []

    /// `internalRequest`: a plugin's own request to the gateway (`http_send` to a path), on which
    /// guardrails do not run.
    func plan(requestID: String, operation: EndpointOperation, model: String, stream: Bool, internalRequest: Bool = false) throws(GatewayError) -> ExecutionPlan {
        let capabilities = operation.capabilities
        if stream && !capabilities.contains(.streaming) {
            throw GatewayError.invalidRequest("Streaming is not supported on this endpoint.", code: "unsupported_parameter", param: "stream")
        }
        let (resolution, candidates) = try routing.resolve(model)
        let guarded = guardrails.isEmpty || !capabilities.contains(.guardrails) || internalRequest
            ? [] : guardrails.filter { $0.applies(to: resolution, route: operation) }.map(\.name)
        // Guardrails see the canonical form: a guarded request runs translated, never natively.
        let attempts = candidates.compactMap { candidate in
            providerOperation(for: operation, serving: providerOperations[candidate.provider] ?? [], canonicalOnly: !guarded.isEmpty).map {
                Attempt(provider: candidate.provider, plugin: candidate.plugin, upstreamModel: candidate.upstreamModel, operation: $0)
            }
        }
        guard !attempts.isEmpty else {
            let names = candidates.map(\.provider).joined(separator: ", ")
            let why = guarded.isEmpty ? "" : " with guardrails (they need the canonical chat form)"
            throw GatewayError.invalidRequest(
                "Model '\(model)' is served by \(names), which cannot serve \(operation.rawValue) requests\(why).",
                code: "unsupported_model_operation", param: "model")
        }
        var chains = PluginChains(guardrails: guarded)
        if !enrichers.isEmpty {
            let native = attempts.filter { $0.mode(for: operation) == .native }.map(\.provider)
            chains.enrichers = enrichers.filter { entry in native.contains { entry.applies(toProvider: $0) } }.map(\.name)
        }
        return ExecutionPlan(
            requestID: requestID, operation: operation, mode: ExecutionMode(provider: attempts[0].operation, ingress: operation), capabilities: capabilities,
            stream: stream, resolution: resolution, attempts: attempts, chains: chains, internalRequest: internalRequest)
    }
}

/// The operation a provider is called with for an ingress operation: natively when it declares
/// it, else through the canonical chat form where the host can translate; nil when it cannot
/// serve the request at all.
func providerOperation(for ingress: EndpointOperation, serving operations: Set<String>, canonicalOnly: Bool = false) -> EndpointOperation? {
    if operations.contains(ingress.rawValue), !canonicalOnly || ingress == .chatCompletions || ingress == .embeddings { return ingress }
    switch ingress {
    case .messages, .responses:
        return operations.contains(EndpointOperation.chatCompletions.rawValue) ? .chatCompletions : nil
    default:
        return nil
    }
}
