import SwitchyardConfig

extension RoutingTable {
    /// The table for a config: its enabled providers (with their public → upstream names and
    /// breakers), model groups and prices, each target's health from `healthBook`.
    public init(config: GatewayConfig, healthBook: TargetHealthBook) {
        self.init(
            providers: config.providers.map { entry in
                Provider(name: entry.name, plugin: entry.plugin, models: entry.models, upstreamModels: entry.upstreamModels, breaker: entry.breaker,
                         identity: TargetHealthBook.identity(of: entry, plugin: config.plugin(named: entry.plugin)))
            },
            aliases: config.aliases, groups: config.modelGroups, pricing: config.pricing, healthBook: healthBook)
    }
}
