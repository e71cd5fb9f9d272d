/// The whole gateway configuration, parsed and validated at start-up and again by each reload
/// (a reload builds a new one; a config is never changed in place).
///
/// Invariants a consumer may rely on (`ConfigLoader` checks them):
/// - plugin and provider names are unique and match `[a-z0-9_-]+`; plugin paths are absolute;
/// - every provider's `plugin` names an entry of `plugins` (disabled entries are dropped);
/// - every alias maps straight to a model that an enabled provider serves (chains are
///   flattened; aliases whose model only disabled providers serve are dropped);
/// - guardrail names are unique and match `[a-z0-9_-]+`; every guardrail's `plugin` names an
///   entry of `plugins` and its `applies_to.providers` entries of `providers` (whether the plugin
///   implements switchyard.guardrail/1 is checked when it is loaded);
/// - enricher names are unique and match `[a-z0-9_-]+`; every enricher's `plugin` names an entry
///   of `plugins` and its `providers` entries of `providers` (switchyard.enricher/1 is checked
///   when the plugin is loaded);
/// - batch preparer names are unique and match `[a-z0-9_-]+`, with the same references checked;
///   when the file has no `batch_preparers:` section and `SWITCHYARD_PLUGIN_DIR` is set, the
///   built-in preparer is there (and its plugin entry in `plugins`).
public struct GatewayConfig: Sendable, Equatable {
    public var server: ServerConfig
    public var plugins: [PluginEntry]
    public var providers: [ProviderEntry]
    /// Alias → model, already followed to the end of any chain.
    public var aliases: [String: String]
    /// Guardrail entries in config order (not yet sorted by `order`); disabled entries are dropped.
    public var guardrails: [GuardrailEntry]
    /// Enricher entries in config order; disabled entries are dropped.
    public var enrichers: [EnricherEntry]
    /// Batch preparer entries in run order (config order); disabled entries are dropped.
    public var batchPreparers: [BatchPreparerEntry]
    /// Where the embedded store lives; its path already resolved against the config's folder.
    public var store: StoreConfig
    /// How uploads without a named provider find one.
    public var files: FilesConfig
    /// `model_groups:` in config order; targets on disabled providers dropped (and groups left
    /// with none). Every target names a provider and one of its public models.
    public var modelGroups: [ModelGroup]
    /// `pricing:`, per million tokens by upstream model name.
    public var pricing: PricingCatalog
    /// How `/admin/*` is reached (a listener of its own, a bearer key); nothing admin by default.
    public var admin: AdminConfig
    /// `keys:`: whether client routes need a key (decision 0024).
    public var keys: KeysConfig
    /// `budgets:`: spend limits per key, user and team; empty when none are configured.
    public var budgets: BudgetsConfig
    /// `rate_limits:`: rpm, tpm and concurrency per key, user, team and model.
    public var rateLimits: RateLimitsConfig
    /// `redis:`: the Redis replicas share their ledger through; nil = none (local counters).
    public var redis: RedisConfig?
    /// `usage:`: usage records per request (off unless asked for or keys are required).
    public var usage: UsageConfig
    /// `audit:`: nil when the section is absent (no bodies captured).
    public var audit: AuditConfig?
    /// The name errors were reported under: the path given to `load`, or the `parse` label.
    public let sourceName: String

    public init(
        server: ServerConfig = ServerConfig(),
        plugins: [PluginEntry] = [],
        providers: [ProviderEntry] = [],
        aliases: [String: String] = [:],
        guardrails: [GuardrailEntry] = [],
        enrichers: [EnricherEntry] = [],
        batchPreparers: [BatchPreparerEntry] = [],
        store: StoreConfig = StoreConfig(),
        files: FilesConfig = FilesConfig(),
        modelGroups: [ModelGroup] = [],
        pricing: PricingCatalog = PricingCatalog(),
        admin: AdminConfig = AdminConfig(),
        keys: KeysConfig = KeysConfig(),
        budgets: BudgetsConfig = BudgetsConfig(),
        rateLimits: RateLimitsConfig = RateLimitsConfig(),
        redis: RedisConfig? = nil,
        usage: UsageConfig = UsageConfig(),
        audit: AuditConfig? = nil,
        sourceName: String
    ) {
        self.server = server
        self.plugins = plugins
        self.providers = providers
        self.aliases = aliases
        self.guardrails = guardrails
        self.enrichers = enrichers
        self.batchPreparers = batchPreparers
        self.store = store
        self.files = files
        self.modelGroups = modelGroups
        self.pricing = pricing
        self.admin = admin
        self.keys = keys
        self.budgets = budgets
        self.rateLimits = rateLimits
        self.redis = redis
        self.usage = usage
        self.audit = audit
        self.sourceName = sourceName
    }

    /// The plugin entry with this name, if enabled.
    public func plugin(named name: String) -> PluginEntry? {
        plugins.first { $0.name == name }
    }

    /// The provider entry with this name, if enabled.
    public func provider(named name: String) -> ProviderEntry? {
        providers.first { $0.name == name }
    }
}
