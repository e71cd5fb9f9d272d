import SwitchyardConfig
import SwitchyardCore

/// One model group compiled against the routing table's targets: orders them per request by its
/// strategy. Immutable; shared by every event loop.
struct GroupRoute: Sendable {
    struct Rule: Sendable {
        let condition: RuleCondition
        let targets: [RouteTarget]
    }

    struct Variant: Sendable {
        let name: String
        let weight: Int
        let targets: [RouteTarget]
    }

    let name: String
    let strategy: RoutingStrategy
    let targets: [RouteTarget]
    let rules: [Rule]
    let defaultTargets: [RouteTarget]
    let variants: [Variant]
    let sticky: StickyKey?
    let exploration: Double
    /// cost: the blended price of each of `targets` (nil = not in the catalog).
    let prices: [Double?]
    /// Every target once, in config order (call_route's answer, a plan without inputs).
    let everyTarget: [RouteTarget]

    /// `resolve` maps a configured target to the table's (nil: its provider is not in the table).
    init(_ group: ModelGroup, pricing: PricingCatalog, resolve: (GroupTarget) -> RouteTarget?) {
        name = group.name
        strategy = group.strategy
        targets = group.targets.compactMap(resolve)
        rules = group.rules.map { Rule(condition: RuleCondition($0), targets: $0.targets.compactMap(resolve)) }
        defaultTargets = group.defaultTargets.compactMap(resolve)
        variants = group.variants.map { Variant(name: $0.name, weight: $0.weight, targets: $0.targets.compactMap(resolve)) }
        sticky = group.sticky
        exploration = group.exploration
        prices = targets.map { pricing.models[$0.upstreamModel]?.blended }
        var seen = Set<String>()
        everyTarget = (targets + rules.flatMap(\.targets) + defaultTargets + variants.flatMap(\.targets)).filter {
            seen.insert($0.provider + "\u{0}" + $0.upstreamModel).inserted
        }
    }

    struct Order {
        var targets: [RouteTarget]
        var skipped: [(target: RouteTarget, reason: String)] = []
        var variant: String?
    }

    func order(_ inputs: RoutingInputs, random: inout some RandomNumberGenerator) throws(GatewayError) -> Order {
        switch strategy {
        case .single, .fallback:
            return Order(targets: targets)
        case .weighted:
            return Order(targets: StrategyOrder.weighted(targets, random: &random))
        case .leastLatency:
            return Order(targets: StrategyOrder.leastLatency(targets, exploration: exploration, random: &random))
        case .cost:
            let (priced, unpriced) = StrategyOrder.cheapest(targets, prices: prices)
            return Order(targets: priced, skipped: unpriced.map { ($0, "no_price") })
        case .conditional, .content:
            let text = strategy == .content ? MessageText.lastUserText(inputs) : nil
            for rule in rules where rule.condition.holds(inputs, text: text) { return Order(targets: rule.targets) }
            guard !defaultTargets.isEmpty else {
                throw GatewayError.invalidRequest(
                    "No rule of model group '\(name)' matches this request, and the group has no default targets.", code: "no_matching_route", param: "model")
            }
            return Order(targets: defaultTargets)
        case .ab:
            let variant = StickyVariant.choose(variants.map(\.weight), key: StickyVariant.key(sticky, inputs), salt: name, random: &random)
            return Order(targets: variants[variant].targets, variant: variants[variant].name)
        }
    }
}
