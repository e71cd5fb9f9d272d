/// Decodes `files:`; `default_provider` must name an enabled provider (whether its plugin takes
/// files is known once it is loaded: the gateway checks that at start).
enum FilesSection {
    static let keys = ["default_provider"]

    static func decode(_ value: ConfigValue?, providers: [ProvidersSection.Draft]) throws(ConfigError) -> FilesConfig {
        var files = FilesConfig()
        guard let value else { return files }
        let fields = try value.mapping(allowedKeys: keys)
        if let named = fields["default_provider"] {
            let name = try named.token("files.default_provider")
            guard let provider = providers.first(where: { $0.entry.name == name }) else {
                let known = CrossValidation.knownNames(providers.map(\.entry.name), near: name, none: "no providers are configured")
                throw named.error("unknown provider \"\(name)\" (\(known))")
            }
            guard provider.enabled else {
                throw named.error("provider \"\(name)\" is disabled (line \(provider.entry.location.line)); name an enabled provider")
            }
            files.defaultProvider = name
            files.defaultProviderLocation = named.location
        }
        return files
    }
}
