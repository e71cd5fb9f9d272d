import SwitchyardCore
import SwitchyardPosix

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
    /// guardrails do not run. `inputs`: what a model group's strategy may read (nil: a group
    /// plans every target in config order).
    func plan(requestID: String, operation: EndpointOperation, model: String, stream: Bool, internalRequest: Bool = false,
              inputs: RoutingInputs? = nil) throws(GatewayError) -> ExecutionPlan {
        let capabilities = operation.capabilities
        if stream && !capabilities.contains(.streaming) {
            throw GatewayError.invalidRequest("Streaming is not supported on this endpoint.", code: "unsupported_parameter", param: "stream")
        }
        let routed = try routing.route(model, inputs: inputs)
        let resolution = routed.resolution
        let guarded = guardrails.isEmpty || !capabilities.contains(.guardrails) || internalRequest
            ? [] : guardrails.filter { $0.applies(to: resolution, route: operation) }.map(\.name)
        // Guardrails see the canonical form: a guarded request runs translated, never natively.
        // A target whose breaker is open is left out here, before any connection is tried; a
        // half-open one is claimed only when its try starts (PlanExecutor+TargetHealth.swift).
        var attempts: [Attempt] = []
        attempts.reserveCapacity(routed.targets.count)
        var skips = 0
        var reasons: [String?] = []
        for (index, target) in routed.targets.enumerated() {
            var reason: String?
            if let providerOp = providerOperation(for: operation, serving: providerOperations[target.provider] ?? [], canonicalOnly: !guarded.isEmpty) {
                if target.health.mayAdmit(monotonicNanoseconds()) {
                    attempts.append(target.attempt(providerOp))
                } else {
                    reason = "circuit_open"
                }
            } else {
                reason = "unsupported_operation"
            }
            guard let reason else { if skips > 0 { reasons.append(nil) }; continue }
            if skips == 0 { reasons = Array(repeating: nil, count: index) }
            skips += 1
            reasons.append(reason)
        }
        let record = routed.group == nil && skips == 0 && routed.skipped.isEmpty
            ? RoutingRecord.plain : Self.record(routed, reasons: reasons)
        guard !attempts.isEmpty else { throw Self.unavailable(model, operation: operation, routed: routed, record: record, guarded: !guarded.isEmpty) }
        var chains = PluginChains(guardrails: guarded)
        if !enrichers.isEmpty {
            let native = attempts.filter { $0.mode(for: operation) == .native }.map(\.provider)
            chains.enrichers = enrichers.filter { entry in native.contains { entry.applies(toProvider: $0) } }.map(\.name)
        }
        return ExecutionPlan(
            requestID: requestID, operation: operation, mode: ExecutionMode(provider: attempts[0].operation, ingress: operation), capabilities: capabilities,
            stream: stream, resolution: resolution, attempts: attempts, chains: chains, internalRequest: internalRequest, routing: record)
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
