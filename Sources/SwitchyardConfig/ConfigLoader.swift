/// Entry point: a YAML file (or bytes) in, a validated `GatewayConfig` out, or the first error.
///
/// Steps: UTF-8 check → libyaml parse into a marked tree → `${…}` interpolation on scalar values
/// → typed decoding per section (unknown keys rejected) → cross-section checks → disabled entries
/// dropped. Pure apart from reading the file and the environment; safe to call from any thread.
public enum ConfigLoader {
    /// The top-level sections accepted today.
    static let sections = ["server", "plugins", "providers", "aliases", "guardrails", "enrichers", "batch_preparers", "store", "files", "model_groups", "pricing", "admin", "keys", "budgets", "rate_limits", "redis", "usage", "audit"]

    /// Reads `path` and parses it; errors carry `path` as written. Relative paths in the file
    /// (`store.path`) are taken from the file's folder.
    public static func load(path: String, environment: Environment = .process) throws(ConfigError) -> GatewayConfig {
        let bytes = try ConfigFile.read(path: path)
        return try parse(yaml: bytes, sourceName: path, environment: environment, baseDirectory: StoreSection.folder(of: path) ?? ".")
    }

    /// Parses configuration bytes; `sourceName` is what error messages call the source.
    /// `baseDirectory` is where relative paths start; nil leaves them relative to the working
    /// directory (the embedded config).
    public static func parse(
        yaml: [UInt8],
        sourceName: String,
        environment: Environment = .process,
        baseDirectory: String? = nil
    ) throws(ConfigError) -> GatewayConfig {
        try UTF8Check.validate(yaml, file: sourceName)
        let parsed = try YAMLReader.parse(yaml, sourceName: sourceName)
            ?? YAMLNode(.scalar("", .plain), mark: YAMLNode.Mark(line: 1, column: 1))  // empty file: all defaults
        let tree = try TreeInterpolation.apply(
            to: parsed, path: "", file: sourceName, interpolator: Interpolator(environment: environment))

        let root = ConfigValue(node: tree, path: "", file: sourceName)
        let fields = try root.mapping(allowedKeys: sections)
        let server = try ServerSection.decode(fields["server"])
        let plugins = try PluginsSection.decode(fields["plugins"])
        let providers = try ProvidersSection.decode(fields["providers"], timeouts: server.upstreamTimeouts)
        let aliases = try AliasesSection.decode(fields["aliases"])
        let guardrails = try GuardrailsSection.decode(fields["guardrails"])
        let enrichers = try EnrichersSection.decode(fields["enrichers"])
        let batchPreparers = try BatchPreparersSection.decode(fields["batch_preparers"])
        let store = try StoreSection.decode(fields["store"], baseDirectory: baseDirectory)
        let files = try FilesSection.decode(fields["files"], providers: providers)
        let modelGroups = try ModelGroupsSection.decode(fields["model_groups"])
        let pricing = try PricingSection.decode(fields["pricing"])
        let admin = try AdminSection.decode(fields["admin"], environment: environment, sourceName: sourceName)
        let keys = try KeysSection.decode(fields["keys"])
        let budgets = try BudgetsSection.decode(fields["budgets"])
        let rateLimits = try RateLimitsSection.decode(fields["rate_limits"])
        let redis = try RedisSection.decode(fields["redis"])
        let usage = try UsageSection.decode(fields["usage"], keysRequired: keys.required)
        let audit = try AuditSection.decode(fields["audit"])
        let checked = try CrossValidation.resolve(
            plugins: plugins, providers: providers, aliases: aliases, guardrails: guardrails, enrichers: enrichers,
            batchPreparers: batchPreparers, modelGroups: modelGroups, pricing: pricing)
        try AuditSection.checkRedactor(audit, guardrails: checked.guardrails)
        var pluginEntries = checked.plugins
        var preparers = checked.batchPreparers
        if fields["batch_preparers"] == nil,
           let (plugin, entry) = BatchPreparersSection.builtIn(
               pluginDirectory: environment.value(of: "SWITCHYARD_PLUGIN_DIR"), plugins: pluginEntries, sourceName: sourceName) {
            if let plugin { pluginEntries.append(plugin) }
            preparers = [entry]
        }
        return GatewayConfig(
            server: server,
            plugins: pluginEntries,
            providers: checked.providers,
            aliases: checked.aliases,
            guardrails: checked.guardrails,
            enrichers: checked.enrichers,
            batchPreparers: preparers,
            store: store,
            files: files,
            modelGroups: checked.modelGroups,
            pricing: pricing,
            admin: admin,
            keys: keys,
            budgets: budgets,
            rateLimits: rateLimits,
            redis: redis,
            usage: usage,
            audit: audit?.config,
            sourceName: sourceName)
    }
}
