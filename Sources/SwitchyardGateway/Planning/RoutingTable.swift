import SwitchyardConfig
import SwitchyardCore

/// Model name → the targets that serve it, plus model groups and aliases. Built once from the
/// config (with each target's health from the `TargetHealthBook`) and immutable; every event
/// loop reads it without locks.
public struct RoutingTable: Sendable {
    public struct Provider: Sendable, Equatable {
        public let name: String
        public let plugin: String
        /// Public model names served; "*" means any.
        public let models: [String]
        /// Public name → the name the upstream receives (models not listed keep their name).
        public let upstreamModels: [String: String]
        /// nil = breaker off.
        public let breaker: BreakerSettings?
        /// `TargetHealthBook.identity(of:plugin:)`: targets keep their health across reloads while it is unchanged.
        public let identity: Int

        public init(name: String, plugin: String, models: [String], upstreamModels: [String: String] = [:],
                    breaker: BreakerSettings? = BreakerSettings(), identity: Int = 0) {
            self.name = name
            self.plugin = plugin
            self.models = models
            self.upstreamModels = upstreamModels
            self.breaker = breaker
            self.identity = identity
        }

        func upstreamModel(for model: String) -> String { upstreamModels[model] ?? model }
    }

    static let maximumAliasDepth = 8

    /// Public name → its targets in config order.
    let byModel: [String: [RouteTarget]]
    /// Providers serving any model: one target each (one breaker for all the names "*" takes in).
    let anyModel: [RouteTarget]
    let groups: [String: GroupRoute]
    let aliases: [String: String]
    /// The book the targets' health came from (a reload builds its table from the same one).
    public let healthBook: TargetHealthBook
    /// The book's keys this table's targets use: once it is installed by a reload, the book
    /// forgets every other target (`TargetHealthBook.retain(only:)`).
    public let healthKeys: Set<TargetHealthBook.Key>
    /// Model ids as `/v1/models` lists them: served public names, then groups, then aliases, in config order.
    public let modelIDs: [(id: String, ownedBy: String)]

    public init(providers: [Provider], aliases: [String: String], groups: [ModelGroup] = [], pricing: PricingCatalog = PricingCatalog(),
                healthBook: TargetHealthBook = TargetHealthBook()) {
        var byModel: [String: [RouteTarget]] = [:]
        var anyModel: [RouteTarget] = []
        var ids: [(String, String)] = []
        var keys = Set<TargetHealthBook.Key>()
        func target(_ provider: Provider, _ model: String) -> RouteTarget {
            let upstream = provider.upstreamModel(for: model)
            let key = TargetHealthBook.Key(provider: provider.name, plugin: provider.plugin, identity: provider.identity, upstreamModel: upstream)
            keys.insert(key)
            let health = healthBook.health(for: key, breaker: provider.breaker.map(BreakerPolicy.init))
            return RouteTarget(provider: provider.name, plugin: provider.plugin, upstreamModel: upstream, health: health)
        }
        for provider in providers {
            for model in provider.models {
                if model == "*" { anyModel.append(target(provider, "*")); continue }
                if byModel[model] == nil { ids.append((model, provider.name)) }
                byModel[model, default: []].append(target(provider, model))
            }
        }
        let named = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var compiled: [String: GroupRoute] = [:]
        for group in groups where byModel[group.name] == nil {
            compiled[group.name] = GroupRoute(group, pricing: pricing) { groupTarget in
                named[groupTarget.provider].map { var made = target($0, groupTarget.model); made.weight = groupTarget.weight; return made }
            }
            ids.append((group.name, "switchyard-group"))
        }
        for alias in aliases.keys.sorted() where byModel[alias] == nil && compiled[alias] == nil {
            ids.append((alias, "switchyard-alias"))
        }
        self.byModel = byModel
        self.anyModel = anyModel
        self.groups = compiled
        self.aliases = aliases
        self.healthBook = healthBook
        self.healthKeys = keys
        self.modelIDs = ids
    }

    /// Follows aliases, then orders the targets: a plain model's exact matches in config order,
    /// then providers that serve any model; a group's by its strategy (which may read `inputs`;
    /// without them, every target of the group in config order).
    func route(_ requested: String, inputs: RoutingInputs? = nil) throws(GatewayError) -> RoutedModel {
        var name = requested
        var followed: [String] = []
        while let target = aliases[name], byModel[name] == nil, groups[name] == nil {
            followed.append(name)
            guard followed.count <= Self.maximumAliasDepth, !followed.contains(target) else {
                throw GatewayError.invalidRequest("The model alias '\(requested)' does not resolve (cycle or chain deeper than \(Self.maximumAliasDepth)).", code: "model_not_found", param: "model")
            }
            name = target
        }
        let resolution = ModelResolution(requested: requested, resolved: name, aliases: followed)
        if let targets = byModel[name] {
            let all = anyModel.isEmpty ? targets : targets + anyModel.map { $0.serving(name) }
            return RoutedModel(resolution: resolution, strategy: .fallback, group: nil, variant: nil, targets: all, skipped: [])
        }
        if let group = groups[name] {
            guard let inputs else {
                return RoutedModel(resolution: resolution, strategy: group.strategy, group: name, variant: nil, targets: group.everyTarget, skipped: [])
            }
            var random = LoopRandom(seed: inputs.seed)
            let order = try group.order(inputs, random: &random)
            return RoutedModel(resolution: resolution, strategy: group.strategy, group: name, variant: order.variant, targets: order.targets, skipped: order.skipped)
        }
        guard !anyModel.isEmpty else { throw GatewayError.modelNotFound(requested, known: modelIDs.map(\.id)) }
        return RoutedModel(resolution: resolution, strategy: .fallback, group: nil, variant: nil, targets: anyModel.map { $0.serving(name) }, skipped: [])
    }

    /// Every provider serving the model, in routing order, each with the name it receives
    /// (a group: all its targets in config order).
    public func resolve(_ requested: String) throws(GatewayError) -> (ModelResolution, [Attempt]) {
        let routed = try route(requested)
        return (routed.resolution, routed.targets.map { $0.attempt(.chatCompletions) })
    }
}
