import SwitchyardCore

/// Endpoint + config + request → the immutable ExecutionPlan every later stage reads.
struct PlanBuilder: Sendable {
    let routing: RoutingTable
    /// Plugin instances by kind, as configured; composed per request only where the endpoint's
    /// capabilities allow that kind.
    let configuredChains: PluginChains

    func plan(requestID: String, operation: EndpointOperation, model: String, stream: Bool) throws(GatewayError) -> ExecutionPlan {
        let capabilities = operation.capabilities
        if stream && !capabilities.contains(.streaming) {
            throw GatewayError.invalidRequest("Streaming is not supported on this endpoint.", code: "unsupported_parameter", param: "stream")
        }
        let (resolution, attempts) = try routing.resolve(model)
        let chains = PluginChains(
            guardrails: capabilities.contains(.guardrails) ? configuredChains.guardrails : [],
            enrichers: capabilities.contains(.semanticExtraction) ? configuredChains.enrichers : [])
        return ExecutionPlan(
            requestID: requestID, operation: operation, mode: .translated, capabilities: capabilities,
            stream: stream, resolution: resolution, attempts: attempts, chains: chains)
    }
}
