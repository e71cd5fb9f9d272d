import SwitchyardCore
import SwitchyardPosix

extension PlanBuilder {
    /// The plan's routing record: every candidate in the order considered with why it was left
    /// out (`reasons` holds one per target once one was skipped; empty when none was).
    static func record(_ routed: RoutedModel, reasons: [String?]) -> RoutingRecord {
        var candidates: [RoutingCandidate] = []
        candidates.reserveCapacity(routed.targets.count + routed.skipped.count)
        for (index, target) in routed.targets.enumerated() {
            candidates.append(RoutingCandidate(provider: target.provider, model: target.upstreamModel, skip: index < reasons.count ? reasons[index] : nil))
        }
        for (target, reason) in routed.skipped {
            candidates.append(RoutingCandidate(provider: target.provider, model: target.upstreamModel, skip: reason))
        }
        return RoutingRecord(strategy: routed.strategy, group: routed.group, variant: routed.variant, candidates: candidates)
    }

    /// Why no attempt is left: every usable target's breaker is open (503 `circuit_open`, with
    /// Retry-After until the first may take a probe), or none can serve the operation (400).
    static func unavailable(_ model: String, operation: EndpointOperation, routed: RoutedModel, record: RoutingRecord, guarded: Bool) -> GatewayError {
        let open = zip(routed.targets, record.candidates).filter { $0.1.skip == "circuit_open" }.map(\.0)
        if !open.isEmpty {
            let now = monotonicNanoseconds()
            let wait = open.map { $0.health.secondsUntilProbe(now: now) }.min() ?? 1
            let names = open.map(\.provider).joined(separator: ", ")
            return GatewayError.circuitOpen(
                "Every provider that serves model '\(model)' is failing and temporarily not used (circuit open: \(names)); retry after \(max(wait, 1)) s.",
                retryAfter: max(wait, 1))
        }
        if routed.targets.isEmpty {
            return GatewayError.invalidRequest("Model '\(model)' has no priced target (strategy cost skips targets without a price).", code: "no_price", param: "model")
        }
        let names = routed.targets.map(\.provider).joined(separator: ", ")
        let why = guarded ? " with guardrails (they need the canonical chat form)" : ""
        return GatewayError.invalidRequest(
            "Model '\(model)' is served by \(names), which cannot serve \(operation.rawValue) requests\(why).",
            code: "unsupported_model_operation", param: "model")
    }
}
