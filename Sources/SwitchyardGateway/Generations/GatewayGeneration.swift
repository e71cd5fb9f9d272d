import SwitchyardConfig
import SwitchyardCore
import SwitchyardPosix

/// Everything built from one `GatewayConfig`: the plugin instances (through `services`), the
/// providers, guardrails, enrichers and batch preparers, the planner and routing table, the
/// models list, the settings, and the endpoints that hold them. A reload builds a new one off
/// the event loops and swaps it in on every loop (`LoopContext.generation`); each request takes
/// the generation of its loop once, at its start, and keeps its `services` to the end, so the
/// old generation serves what it started and is released after (`GenerationLifetime`).
///
/// Threading: immutable once built; read on every loop.
final class GatewayGeneration: Sendable {
    let number: Int
    let config: GatewayConfig
    let services: GatewayServices
    let inference: InferenceEndpoints
    let passthrough: PassthroughEndpoint
    let files: FilesEndpoint
    let batches: BatchesEndpoint
    let models: ModelsEndpoint
    /// The instances it keeps alive, shared with every request that took `services`.
    let lifetime: GenerationLifetime
    /// The target-health keys its routing table uses (the book keeps only these once it is installed).
    var routingKeys: Set<TargetHealthBook.Key> { services.planner.routing.healthKeys }

    /// Loads the config's plugins, creates their instances and builds the rest; throws (having
    /// freed whatever it created) naming the config entry at fault. On the control thread at
    /// start, on the reload thread afterwards: never on an event loop (instance_new may block).
    init(number: Int, config: GatewayConfig, process: GatewayProcess) throws(GatewayStartupError) {
        let log = process.log
        // Plugins load in this process (`validate` loads them in a child): a plugin that crashes
        // while loading takes `serve` down with it, and this line, the last one logged, names it.
        let plugins = try LoadedPlugins(config: config) { step in
            guard case .library(let name) = step else { return }
            log.info("loading plugin", fields: [("plugin", name), ("path", config.plugin(named: name)?.path ?? "")])
        }
        let routing = RoutingTable(config: config, healthBook: process.healthBook)
        // Tags continue after the previous generations' (`WatchedPlugins`).
        let tagBase = process.watched.count
        var providers: [String: ConfiguredProvider] = [:]
        var watched: [HookWatchdog.WatchedPlugin] = []
        var watchedNames: [String] = []  // config names, as the metrics label the plugins (same order as `watched`)
        for entry in config.providers {
            guard let plugin = plugins.providers[entry.name] else { continue }
            let instance = plugins.instances[entry.plugin]
            providers[entry.name] = ConfiguredProvider(
                plugin: plugin, limits: UpstreamLimits(entry.timeouts, server: config.server),
                blocking: instance?.library.blockingHooks ?? [], watchTag: HookWatch.tag(provider: tagBase + watched.count),
                passthrough: entry.passthrough, batchDiscount: instance?.library.manifest["batch_discount"]?.doubleValue ?? 0,
                retry: entry.retry.map(RetryPolicy.init))
            watched.append(HookWatchdog.WatchedPlugin(name: entry.plugin, host: instance?.host))
            watchedNames.append(entry.name)
        }
        // Threads for blocking hooks only once a plugin in use declares one.
        let declared = providers.values.contains(where: \.declaresBlockingHooks)
        let workers = declared ? process.workers.pool(startingWith: config.server) : process.workers.current
        // Guardrails in the order they run: ascending `order`, config order within one.
        var guardrails: [ConfiguredGuardrail] = []
        for entry in config.guardrails.enumerated().sorted(by: { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }).map(\.element) {
            guard let plugin = plugins.guardrails[entry.name] else { continue }
            guardrails.append(ConfiguredGuardrail(entry: entry, plugin: plugin, watchTag: HookWatch.tag(provider: tagBase + watched.count)))
            watched.append(HookWatchdog.WatchedPlugin(name: entry.plugin, host: plugins.instances[entry.plugin]?.host))
            watchedNames.append(entry.name)
        }
        Self.warnOfPassthroughAroundGuardrails(providers, guardrails, log)
        // Enrichers in config order.
        var enrichers: [ConfiguredEnricher] = []
        for entry in config.enrichers {
            guard let plugin = plugins.enrichers[entry.name] else { continue }
            enrichers.append(ConfiguredEnricher(entry: entry, plugin: plugin, watchTag: HookWatch.tag(provider: tagBase + watched.count)))
            watched.append(HookWatchdog.WatchedPlugin(name: entry.plugin, host: plugins.instances[entry.plugin]?.host))
            watchedNames.append(entry.name)
        }
        // Batch preparers in run order (config order).
        let loadedPreparers = plugins.batchPreparers
        let batchPreparers = config.batchPreparers.compactMap { entry in
            loadedPreparers[entry.name].map { ConfiguredBatchPreparer(entry: entry, plugin: $0) }
        }
        lifetime = GenerationLifetime(number: number, plugins: plugins, log: log)
        services = GatewayServices(
            providers: providers,
            planner: PlanBuilder(routing: routing, guardrails: guardrails, providerOperations: plugins.providerOperations, enrichers: enrichers),
            settings: GatewaySettings(accessLog: process.accessLog, defaultFileProvider: config.files.defaultProvider,
                                      requestDeadline: config.server.requestDeadline.nanoseconds), log: log, workers: workers,
            guardrails: Dictionary(uniqueKeysWithValues: guardrails.map { ($0.name, $0) }), enrichers: enrichers,
            batchPreparers: batchPreparers, store: process.store, heldFiles: process.heldFiles, lifetime: lifetime,
            metricLabels: process.metrics.labels(for: config),
            governance: GovernancePolicy(config: config, ledger: process.ledger, clock: process.ledgerClock),
            usage: config.usage.record ? UsageRecorder(sink: process.usage, config: config.usage, costs: CostTable(config.pricing)) : nil,
            audit: config.audit.map { audit in
                AuditLog(config: audit, redactor: audit.redactWith.flatMap { name in guardrails.first { $0.name == name } },
                         store: process.store, log: log, drops: process.auditDrops)
            },
            keys: process.keys)
        Self.warnOfUnpricedModels(config, log)
        if let name = config.files.defaultProvider, services.nativeProvider(name, for: "files") == nil {
            let place = config.files.defaultProviderLocation.map { "\($0): " } ?? ""
            throw GatewayStartupError("\(place)files.default_provider: provider \"\(name)\" does not take files (its plugin's manifest does not list \"files\")")
        }
        self.number = number
        self.config = config
        inference = InferenceEndpoints(services: services, responses: process.responses)
        passthrough = PassthroughEndpoint(services: services)
        files = FilesEndpoint(services: services)
        batches = BatchesEndpoint(services: services)
        models = ModelsEndpoint(routing: routing, created: Int(unixNanoseconds() / 1_000_000_000))
        process.watched.append(watched)
        process.metrics.appendPluginNames(watchedNames)
    }

    /// A model without a price costs budgets nothing: the operator hears which ones.
    private static func warnOfUnpricedModels(_ config: GatewayConfig, _ log: GatewayLog) {
        let unpriced = GovernancePolicy.unpricedModels(config)
        guard !unpriced.isEmpty else { return }
        log.warn("budgets are configured but these upstream models have no price in pricing: (they cost 0)", fields: [("models", unpriced.joined(separator: ","))])
    }

    /// Passthrough carries the provider's own format, which guardrails do not read (decision
    /// 0012): an operator who scoped guardrails to such a provider hears that /p/ goes around them.
    private static func warnOfPassthroughAroundGuardrails(_ providers: [String: ConfiguredProvider], _ guardrails: [ConfiguredGuardrail], _ log: GatewayLog) {
        for (name, provider) in providers.sorted(by: { $0.key < $1.key }) where provider.passthrough != nil {
            let bypassed = guardrails.filter { $0.applies(toProvider: name) }.map(\.name)
            guard !bypassed.isEmpty else { continue }
            log.warn("passthrough requests to this provider do not run its guardrails", fields: [
                ("provider", name), ("guardrails", bypassed.joined(separator: ",")), ("route", "/p/\(name)/"),
            ])
        }
    }
}
