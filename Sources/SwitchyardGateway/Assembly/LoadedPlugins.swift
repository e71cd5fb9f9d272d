import CSwitchyardPlugin
import SwitchyardConfig
import SwitchyardJSON
import SwitchyardPlugins

/// Every plugin entry of a config loaded (dlopen, negotiation, one instance per entry with its
/// config) and every provider bound to its plugin's provider interface. Fails on the first
/// problem, naming the config entry, so an operator sees exactly what to fix.
public struct LoadedPlugins: @unchecked Sendable {
    public let instances: [String: PluginInstance]
    public let providers: [String: ProviderPlugin]
    /// Operations each provider declares in its plugin's manifest (`"operations"`), by provider name.
    public let providerOperations: [String: Set<String>]
    /// Every `guardrails:` entry bound to its plugin's guardrail interface, by guardrail name.
    public let guardrails: [String: GuardrailPlugin]
    /// Every `enrichers:` entry bound to its plugin's enricher interface, by enricher name.
    public let enrichers: [String: EnricherPlugin]
    /// Every `batch_preparers:` entry bound to its plugin's batch interface, by preparer name.
    public let batchPreparers: [String: BatchPreparerPlugin]

    /// What is about to run, told to `progress` before it runs: a step that crashes or hangs
    /// the process is the last one told (`switchyard validate` reports it from a child process).
    public enum Step: Sendable, Equatable {
        /// dlopen (the library's constructors) and sy_plugin_entry of a plugin entry.
        case library(plugin: String)
        /// instance_new of a plugin entry.
        case instance(plugin: String)
        /// get_interface for a provider entry.
        case provider(name: String)
        /// get_interface for a guardrail entry.
        case guardrail(name: String)
        /// get_interface for an enricher entry.
        case enricher(name: String)
        /// get_interface for a batch preparer entry.
        case batchPreparer(name: String)
    }

    public init(config: GatewayConfig, progress: (Step) -> Void = { _ in }) throws(GatewayStartupError) {
        var instances: [String: PluginInstance] = [:]
        for entry in config.plugins {
            progress(.library(plugin: entry.name))
            let library: PluginLibrary
            do { library = try Self.library(of: entry) } catch {
                throw GatewayStartupError("\(entry.location): \(error)")
            }
            try Self.checkConfig(of: entry, against: library)
            progress(.instance(plugin: entry.name))
            do { instances[entry.name] = try library.instantiate(name: entry.name, configJSON: entry.configJSON) } catch {
                throw GatewayStartupError("\(entry.location): \(error)")
            }
        }
        var providers: [String: ProviderPlugin] = [:]
        var operations: [String: Set<String>] = [:]
        for entry in config.providers {
            progress(.provider(name: entry.name))
            let (instance, provider) = try Self.bind(
                instances, "providers[\(entry.name)]", plugin: entry.plugin, at: entry.location, interface: SY_IFACE_PROVIDER
            ) { ProviderPlugin(name: entry.plugin, instance: $0, table: $1) }
            providers[entry.name] = provider
            let declared = instance.library.manifest["operations"]?.arrayValue?.compactMap(\.stringValue) ?? ["chat_completions"]
            operations[entry.name] = Set(declared)
        }
        var guardrails: [String: GuardrailPlugin] = [:]
        for entry in config.guardrails {
            progress(.guardrail(name: entry.name))
            let (_, guardrail) = try Self.bind(
                instances, "guardrails[\(entry.name)]", plugin: entry.plugin, at: entry.location, interface: SY_IFACE_GUARDRAIL
            ) { GuardrailPlugin(name: entry.name, instance: $0, hostInstance: instances[entry.plugin]?.host.handle, table: $1) }
            if let phases = entry.phases, phases & ~guardrail.phases != 0 {
                throw GatewayStartupError(
                    "\(entry.location): guardrails[\(entry.name)]: plugin \"\(entry.plugin)\" cannot inspect the \(GuardrailPhaseNames.list(phases & ~guardrail.phases)) phase (it declares \(GuardrailPhaseNames.list(guardrail.phases)))")
            }
            guardrails[entry.name] = guardrail
        }
        var enrichers: [String: EnricherPlugin] = [:]
        for entry in config.enrichers {
            progress(.enricher(name: entry.name))
            enrichers[entry.name] = try Self.bindEnricher(entry, instances)
        }
        var batchPreparers: [String: BatchPreparerPlugin] = [:]
        for entry in config.batchPreparers {
            progress(.batchPreparer(name: entry.name))
            batchPreparers[entry.name] = try Self.bindBatchPreparer(entry, instances)
        }
        self.batchPreparers = batchPreparers
        self.instances = instances
        self.providers = providers
        self.providerOperations = operations
        self.guardrails = guardrails
        self.enrichers = enrichers
    }

    /// The entry's library: loaded here, or in a runner process of its own (`isolation: process`).
    static func library(of entry: PluginEntry) throws(PluginLoadError) -> PluginLibrary {
        let isolation = entry.isolation
        guard isolation.mode == .process else { return try PluginLibrary.load(path: entry.path, sha256: entry.sha256, entry: entry.name) }
        let limits = IsolatedRunner.Limits(
            hookTimeoutNanoseconds: isolation.hookTimeoutNanoseconds, memoryBytes: isolation.memoryLimitBytes,
            maxRestarts: isolation.maxRestarts, restartWindowNanoseconds: isolation.restartWindowNanoseconds)
        return try PluginLibrary.loadIsolated(path: entry.path, sha256: entry.sha256, entry: entry.name, limits: limits)
    }

    /// Enrichers and batch preparers run on the event loop and cannot pause, so they cannot wait
    /// for a runner process: an entry of theirs naming an isolated plugin is refused.
    static func refuseIsolated(_ instances: [String: PluginInstance], plugin: String, entry: String, kind: String, at location: SourceLocation) throws(GatewayStartupError) {
        guard instances[plugin]?.library.isolation != nil else { return }
        throw GatewayStartupError(
            "\(location): \(entry): plugin \"\(plugin)\" has isolation: process, but \(kind) hooks run on the event loop and cannot wait for a runner process; load it in_process (docs/plugin-isolation.md)")
    }

    /// An `enrichers:` entry bound to its plugin's `switchyard.enricher/1`. Enricher hooks run on
    /// the event loop, inline with the traffic they observe, and the host has no worker path for
    /// them: a plugin whose manifest declares `blocking_hooks` cannot serve as one.
    static func bindEnricher(_ entry: EnricherEntry, _ instances: [String: PluginInstance]) throws(GatewayStartupError) -> EnricherPlugin {
        try refuseIsolated(instances, plugin: entry.plugin, entry: "enrichers[\(entry.name)]", kind: "an enricher's", at: entry.location)
        let (instance, enricher) = try bind(
            instances, "enrichers[\(entry.name)]", plugin: entry.plugin, at: entry.location, interface: SY_IFACE_ENRICHER
        ) { EnricherPlugin(name: entry.name, instance: $0, hostInstance: instances[entry.plugin]?.host.handle, table: $1) }
        let blocking = instance.library.blockingHooks
        guard blocking.isEmpty else {
            throw GatewayStartupError(
                "\(entry.location): enrichers[\(entry.name)]: plugin \"\(entry.plugin)\" declares blocking_hooks (\(blocking)), but an enricher's hooks always run on the event loop and must not block; an enricher cannot use blocking_hooks")
        }
        return enricher
    }
}

extension LoadedPlugins {
    /// A `batch_preparers:` entry bound to its plugin's `switchyard.batch/1`. Its hooks run on the
    /// batch request's event loop, so, as for enrichers, `blocking_hooks` is refused.
    static func bindBatchPreparer(_ entry: BatchPreparerEntry, _ instances: [String: PluginInstance]) throws(GatewayStartupError) -> BatchPreparerPlugin {
        try refuseIsolated(instances, plugin: entry.plugin, entry: "batch_preparers[\(entry.name)]", kind: "a batch preparer's", at: entry.location)
        let (instance, preparer) = try bind(
            instances, "batch_preparers[\(entry.name)]", plugin: entry.plugin, at: entry.location, interface: SY_IFACE_BATCH
        ) { BatchPreparerPlugin(name: entry.name, instance: $0, hostInstance: instances[entry.plugin]?.host.handle, table: $1) }
        let blocking = instance.library.blockingHooks
        guard blocking.isEmpty else {
            throw GatewayStartupError(
                "\(entry.location): batch_preparers[\(entry.name)]: plugin \"\(entry.plugin)\" declares blocking_hooks (\(blocking)), but a batch preparer's hooks run on the event loop and must not block; a batch preparer cannot use blocking_hooks")
        }
        return preparer
    }

    /// A provider, guardrail or enricher entry bound to its plugin instance's interface
    /// `interface` (`wrap` checks the table), or the error naming the entry.
    static func bind<Kind>(_ instances: [String: PluginInstance], _ entry: String, plugin: String, at location: SourceLocation,
                           interface: String, _ wrap: (sy_instance?, UnsafeRawPointer) -> Kind?) throws(GatewayStartupError) -> (PluginInstance, Kind) {
        guard let instance = instances[plugin] else {
            throw GatewayStartupError("\(location): \(entry): plugin \"\(plugin)\" is not loaded")
        }
        if let table = instance.interface(interface), let problem = InterfaceTableSize.problem(table, interface: interface) {
            throw GatewayStartupError("\(location): \(entry): plugin \"\(plugin)\": \(problem)")
        }
        guard let table = instance.interface(interface), let bound = wrap(instance.pluginInstance, table) else {
            throw GatewayStartupError("\(location): \(entry): plugin \"\(plugin)\" does not implement \(interface)")
        }
        return (instance, bound)
    }

    /// The entry's config against its plugin's `config_schema`, before `instance_new` sees it: a
    /// violation names the YAML key or value at fault (`file:line:column: plugins[0].config.x: …`).
    static func checkConfig(of entry: PluginEntry, against library: PluginLibrary) throws(GatewayStartupError) {
        guard let schema = library.configSchema else { return }
        let config: JSONValue
        do { config = try JSONValue.parse(entry.configJSON) } catch {
            throw GatewayStartupError("\(entry.location): plugin \"\(entry.name)\": config is not valid JSON (\(error))")
        }
        guard let violation = schema.violation(in: config) else { return }
        let message = "\(violation.message) [config_schema of plugin \"\(entry.name)\"]"
        throw GatewayStartupError(entry.configLocations.error(message, at: violation.pointer, atKey: violation.atKey).description)
    }
}

/// Why the gateway could not start, with the config location when there is one.
public struct GatewayStartupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Phase bits as the YAML names them (`request`, `response`, `stream`).
enum GuardrailPhaseNames {
    static func list(_ phases: UInt32) -> String {
        [(SY_PHASE_REQUEST, "request"), (SY_PHASE_RESPONSE, "response"), (SY_PHASE_CHUNK, "stream")]
            .filter { phases & $0.0 != 0 }.map(\.1).joined(separator: ", ")
    }
}
