import SwitchyardCore

/// A provider instance called with one upstream model name, and that target's health. Built
/// with the routing table; immutable.
struct RouteTarget: Sendable {
    let provider: String
    let plugin: String
    let upstreamModel: String
    let health: TargetHealth
    /// weighted: relative share.
    var weight = 1

    /// A wildcard target called with the name the client asked for.
    func serving(_ model: String) -> RouteTarget {
        RouteTarget(provider: provider, plugin: plugin, upstreamModel: model, health: health, weight: weight)
    }

    func attempt(_ operation: EndpointOperation) -> Attempt {
        Attempt(provider: provider, plugin: plugin, upstreamModel: upstreamModel, operation: operation, health: health)
    }
}

/// What routing chose for a model, before the planner filters by operation and health.
struct RoutedModel {
    let resolution: ModelResolution
    let strategy: RoutingStrategy
    let group: String?
    let variant: String?
    /// In the order to try.
    let targets: [RouteTarget]
    /// Left out by the strategy itself (`no_price`), considered after `targets`.
    let skipped: [(target: RouteTarget, reason: String)]
}
