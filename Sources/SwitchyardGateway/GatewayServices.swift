import SwitchyardConfig
import SwitchyardCore
import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardStore

/// Settings the request path reads, taken from the config once.
public struct GatewaySettings: Sendable {
    public var accessLog: Bool
    /// `files.default_provider`: the provider of uploads that name none.
    public var defaultFileProvider: String?
    /// `server.request_deadline` in nanoseconds; 0 = none.
    public var requestDeadline: UInt64

    public init(accessLog: Bool = true, defaultFileProvider: String? = nil, requestDeadline: UInt64 = 0) {
        self.accessLog = accessLog
        self.defaultFileProvider = defaultFileProvider
        self.requestDeadline = requestDeadline
    }
}

/// A provider as the request path uses it: its plugin instance, its upstream limits, where its
/// hooks run and its tag for the loops' hook watch, all resolved once at start-up (one dictionary
/// lookup per attempt finds them; a class, so the lookup copies one reference).
final class ConfiguredProvider: Sendable {
    let plugin: ProviderPlugin
    let limits: UpstreamLimits
    /// The hooks its plugin's manifest declares blocking, as one Bool per call site.
    let generateOnWorker: Bool
    let prepareOnWorker: Bool
    let responseOnWorker: Bool
    let watchTag: UInt64
    /// `providers[].passthrough`: nil when `/p/{name}/…` is refused.
    let passthrough: PassthroughPolicy?
    /// What the provider takes off batch traffic (its manifest's `batch_discount`, 0.5 = half
    /// price), noted with a batch's usage; 0 when it grants none or runs no batches.
    let batchDiscount: Double
    /// `providers[].retry`; nil = each target tried once.
    let retry: RetryPolicy?

    init(plugin: ProviderPlugin, limits: UpstreamLimits, blocking: BlockingHooks = [], watchTag: UInt64 = 0, passthrough: PassthroughPolicy? = nil, batchDiscount: Double = 0,
         retry: RetryPolicy? = nil) {
        self.plugin = plugin
        self.retry = retry
        self.batchDiscount = batchDiscount
        self.passthrough = passthrough
        self.limits = limits
        generateOnWorker = blocking.contains(.generate)
        prepareOnWorker = blocking.contains(.prepare)
        responseOnWorker = blocking.contains(.response)
        self.watchTag = watchTag
    }

    var declaresBlockingHooks: Bool { generateOnWorker || prepareOnWorker || responseOnWorker }
}

/// Everything the request path needs from one config generation (`GatewayGeneration`), plus the
/// process's store and held files: immutable once built, so every event loop reads it without
/// locks. A request that holds it holds its generation's plugin instances (`lifetime`).
final class GatewayServices: Sendable {
    let providers: [String: ConfiguredProvider]
    let planner: PlanBuilder
    let settings: GatewaySettings
    let log: GatewayLog
    let accessLog: AccessLog
    /// Runs the hooks plugins declare blocking; nil when no loaded plugin declares one.
    let workers: WorkerPool?
    /// The `guardrails:` entries by name (the plan names those a request runs).
    let guardrails: [String: ConfiguredGuardrail]
    /// The `enrichers:` entries in config order (they observe passthrough and native calls of
    /// the providers they apply to); empty when none is configured.
    let enrichers: [ConfiguredEnricher]
    /// The `batch_preparers:` entries in run order (the built-in one when the section is
    /// absent); `BatchLinePreparation` runs those that apply to a batch's provider.
    let batchPreparers: [ConfiguredBatchPreparer]
    /// The embedded database: the records of native files and batches.
    let store: Store?
    /// The files the gateway keeps itself (for providers with no files API), beside the store.
    let heldFiles: HeldFiles?
    /// Keeps this generation's plugin instances alive while anything holds these services;
    /// nil in tests that build services by hand.
    let lifetime: GenerationLifetime?
    /// Budgets and rate limits; nil when neither is configured (the request path's one check).
    let governance: GovernancePolicy?
    /// `audit:`; nil when not configured (requests capture nothing).
    let audit: AuditLog?
    /// The process's virtual keys (a batch's creator's own budget, looked up by key id when its
    /// cost is charged); nil in tests that build services by hand.
    let keys: KeyRegistry?

    init(providers: [String: ConfiguredProvider], planner: PlanBuilder, settings: GatewaySettings, log: GatewayLog, workers: WorkerPool? = nil,
         guardrails: [String: ConfiguredGuardrail] = [:], enrichers: [ConfiguredEnricher] = [], batchPreparers: [ConfiguredBatchPreparer] = [],
         store: Store? = nil, heldFiles: HeldFiles? = nil, lifetime: GenerationLifetime? = nil, metricLabels: MetricLabels = .empty,
         governance: GovernancePolicy? = nil,
         usage: UsageRecorder? = nil, audit: AuditLog? = nil, keys: KeyRegistry? = nil) {
        self.audit = audit
        self.keys = keys
        self.providers = providers
        self.governance = governance
        self.lifetime = lifetime
        self.store = store
        self.heldFiles = heldFiles
        self.guardrails = guardrails
        self.enrichers = enrichers
        self.batchPreparers = batchPreparers
        self.workers = workers
        self.planner = planner
        self.settings = settings
        self.log = log
        self.accessLog = AccessLog(enabled: settings.accessLog, log: log, labels: metricLabels, governance: governance, usageRecorder: usage)
    }
}

extension GatewayServices {
    /// `name` as a provider of native `operation` ("files", "batches") over OpenAI's Files and
    /// Batch APIs: its manifest lists the operation (batches need "files" too: the input is a
    /// file there) and its plugin addresses its native API (the passthrough hook). Nil otherwise,
    /// and for batches of a provider that runs them inline (`inlineBatchProvider`).
    func nativeProvider(_ name: String, for operation: String) -> NativeProvider? {
        guard let configured = providers[name], configured.plugin.takesPassthrough,
              let declared = planner.providerOperations[name], declared.contains(operation) else { return nil }
        if operation == "batches", !declared.contains("files") || configured.plugin.takesInlineBatches { return nil }
        return NativeProvider(name: name, configured: configured)
    }

    /// `name` as a provider that runs batches inline (its plugin's batch table), else nil.
    func inlineBatchProvider(_ name: String) -> InlineBatchProvider? {
        guard let configured = providers[name], configured.plugin.takesInlineBatches,
              planner.providerOperations[name]?.contains("batches") == true else { return nil }
        return InlineBatchProvider(name: name, configured: configured)
    }

    /// The providers taking native `operation`, by name.
    func nativeProviders(for operation: String) -> [NativeProvider] {
        providers.keys.sorted().compactMap { nativeProvider($0, for: operation) }
    }
}
