/// The checks of an `enrichers:` entry that need the other sections: its plugin and its
/// providers. Names are looked up among *all* entries (a typo in a disabled enricher is still an
/// error); an enabled enricher must not refer to a disabled plugin or provider. Whether the
/// plugin implements switchyard.enricher/1 is known only once it is loaded: the gateway checks that.
extension CrossValidation {
    static func checkEnricherReferences(
        _ enricher: EnrichersSection.Draft,
        plugins: [PluginsSection.Draft],
        providers: [ProvidersSection.Draft]
    ) throws(ConfigError) {
        try checkPluginReference(enricher.entry.plugin, at: enricher.pluginValue, user: "enricher", enabled: enricher.enabled, plugins: plugins)
        for (name, value) in zip(enricher.entry.providers, enricher.providerValues) {
            guard let provider = providers.first(where: { $0.entry.name == name }) else {
                let known = knownNames(providers.map(\.entry.name), near: name, none: "no providers are configured")
                throw value.error("unknown provider \"\(name)\" (\(known))")
            }
            if enricher.enabled && !provider.enabled {
                throw value.error(
                    "provider \"\(name)\" is disabled (line \(provider.entry.location.line)); disable this enricher too or enable the provider")
            }
        }
    }
}
