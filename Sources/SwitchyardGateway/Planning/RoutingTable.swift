import SwitchyardCore

/// Model name → the provider instances that serve it, in config order, plus aliases. Built once
/// from the config and immutable; every event loop reads it without locks.
public struct RoutingTable: Sendable {
    public struct Provider: Sendable, Equatable {
        public let name: String
        public let plugin: String
        /// Model names served; "*" means any.
        public let models: [String]

        public init(name: String, plugin: String, models: [String]) {
            self.name = name
            self.plugin = plugin
            self.models = models
        }
    }

    static let maximumAliasDepth = 8

    let byModel: [String: [Provider]]
    let anyModel: [Provider]
    let aliases: [String: String]
    /// Model ids as `/v1/models` lists them: served models, then aliases, in config order.
    public let modelIDs: [(id: String, ownedBy: String)]

    public init(providers: [Provider], aliases: [String: String]) {
        var byModel: [String: [Provider]] = [:]
        var anyModel: [Provider] = []
        var ids: [(String, String)] = []
        for provider in providers {
            for model in provider.models {
                if model == "*" { anyModel.append(provider); continue }
                if byModel[model] == nil { ids.append((model, provider.name)) }
                byModel[model, default: []].append(provider)
            }
        }
        for alias in aliases.keys.sorted() where byModel[alias] == nil {
            ids.append((alias, "switchyard-alias"))
        }
        self.byModel = byModel
        self.anyModel = anyModel
        self.aliases = aliases
        self.modelIDs = ids
    }

    /// Follows aliases, then lists every provider serving the model: exact matches first, then
    /// providers that serve any model.
    public func resolve(_ requested: String) throws(GatewayError) -> (ModelResolution, [Attempt]) {
        var name = requested
        var followed: [String] = []
        while let target = aliases[name], byModel[name] == nil {
            followed.append(name)
            guard followed.count <= Self.maximumAliasDepth, !followed.contains(target) else {
                throw GatewayError.invalidRequest("The model alias '\(requested)' does not resolve (cycle or chain deeper than \(Self.maximumAliasDepth)).", code: "model_not_found", param: "model")
            }
            name = target
        }
        let providers = (byModel[name] ?? []) + anyModel
        guard !providers.isEmpty else { throw GatewayError.modelNotFound(requested, known: modelIDs.map(\.id)) }
        let attempts = providers.map { Attempt(provider: $0.name, plugin: $0.plugin, upstreamModel: name) }
        return (ModelResolution(requested: requested, resolved: name, aliases: followed), attempts)
    }
}
