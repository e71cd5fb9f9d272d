import SwitchyardConfig
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardStore

/// The assembled gateway: config → plugins → routing → HTTP server with one upstream client per
/// event loop. `start` returns once listening; `shutdown` drains in-flight requests and streams.
public final class Gateway: @unchecked Sendable {
    public let config: GatewayConfig
    public let plugins: LoadedPlugins
    let server: HTTPServer
    /// Where plugins' requests to the gateway itself arrive (`http_send` to a path): a listener of
    /// its own on 127.0.0.1, one loop, with its own `max_connections`, so a request that waits for
    /// a plugin's inner request (an LLM judge asking a model) never waits for a connection slot
    /// that it and its peers hold on the public listener.
    let internalServer: HTTPServer
    let responder: GatewayResponder
    public let log: GatewayLog
    /// Runs the hooks plugins declare blocking; nil when none does.
    let workers: WorkerPool?
    /// Reports hooks that block an event loop; nil when `server.slow_hook_threshold` is 0.
    let watchdog: HookWatchdog?
    /// The embedded database (`store:`), opened and migrated before anything else starts, so a
    /// path that cannot be written fails the start naming it. Closed last at shutdown.
    public let store: Store

    public init(config: GatewayConfig, log: GatewayLog = GatewayLog(), accessLog: Bool = true) throws(GatewayStartupError) {
        self.config = config
        self.log = log
        do {
            store = try Store(StoreOptions(config.store)) { error in
                log.error("store write failed", fields: [("error", error.kind.rawValue), ("message", error.message)])
            }
        } catch {
            throw GatewayStartupError("cannot open the store (store.path \(config.store.path)): \(error)")
        }
        if store.openedAtVersion != store.schemaVersion {
            log.info("store migrated", fields: [("path", store.path), ("from", String(store.openedAtVersion)), ("to", String(store.schemaVersion))])
        }
        // Plugins load in this process (`validate` loads them in a child): a plugin that crashes
        // while loading takes `serve` down with it, and this line, the last one logged, names it.
        plugins = try LoadedPlugins(config: config) { step in
            guard case .library(let name) = step else { return }
            log.info("loading plugin", fields: [("plugin", name), ("path", config.plugin(named: name)?.path ?? "")])
        }
        let routing = RoutingTable(
            providers: config.providers.map { RoutingTable.Provider(name: $0.name, plugin: $0.plugin, models: $0.models) },
            aliases: config.aliases)
        var providers: [String: ConfiguredProvider] = [:]
        var watched: [HookWatchdog.WatchedPlugin] = []
        for entry in config.providers {
            guard let plugin = plugins.providers[entry.name] else { continue }
            let instance = plugins.instances[entry.plugin]
            providers[entry.name] = ConfiguredProvider(
                plugin: plugin, limits: UpstreamLimits(entry.timeouts, server: config.server),
                blocking: instance?.library.blockingHooks ?? [], watchTag: HookWatch.tag(provider: watched.count),
                passthrough: entry.passthrough, batchDiscount: instance?.library.manifest["batch_discount"]?.doubleValue ?? 0,
                retry: entry.retry.map(RetryPolicy.init))
            watched.append(HookWatchdog.WatchedPlugin(name: entry.plugin, host: instance?.host))
        }
        // Threads for blocking hooks only when a plugin in use declares one.
        let declared = providers.values.filter(\.declaresBlockingHooks)
        workers = declared.isEmpty ? nil : WorkerPool(threads: config.server.pluginWorkers, queueCapacity: config.server.pluginWorkerQueue)
        // Guardrails in the order they run: ascending `order`, config order within one.
        var guardrails: [ConfiguredGuardrail] = []
        for entry in config.guardrails.enumerated().sorted(by: { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }).map(\.element) {
            guard let plugin = plugins.guardrails[entry.name] else { continue }
            guardrails.append(ConfiguredGuardrail(entry: entry, plugin: plugin, watchTag: HookWatch.tag(provider: watched.count)))
            watched.append(HookWatchdog.WatchedPlugin(name: entry.plugin, host: plugins.instances[entry.plugin]?.host))
        }
        // Passthrough carries the provider's own format, which guardrails do not read (decision
        // 0012): an operator who scoped guardrails to such a provider hears that /p/ goes around them.
        for (name, provider) in providers.sorted(by: { $0.key < $1.key }) where provider.passthrough != nil {
            let bypassed = guardrails.filter { $0.applies(toProvider: name) }.map(\.name)
            guard !bypassed.isEmpty else { continue }
            log.warn("passthrough requests to this provider do not run its guardrails", fields: [
                ("provider", name), ("guardrails", bypassed.joined(separator: ",")), ("route", "/p/\(name)/"),
            ])
        }
        // Enrichers in config order.
        var enrichers: [ConfiguredEnricher] = []
        for entry in config.enrichers {
            guard let plugin = plugins.enrichers[entry.name] else { continue }
            enrichers.append(ConfiguredEnricher(entry: entry, plugin: plugin, watchTag: HookWatch.tag(provider: watched.count)))
            watched.append(HookWatchdog.WatchedPlugin(name: entry.plugin, host: plugins.instances[entry.plugin]?.host))
        }
        // Batch preparers in run order (config order).
        let loadedPreparers = plugins.batchPreparers
        let batchPreparers = config.batchPreparers.compactMap { entry in
            loadedPreparers[entry.name].map { ConfiguredBatchPreparer(entry: entry, plugin: $0) }
        }
        let heldFiles: HeldFiles
        do { heldFiles = try HeldFiles(folder: BatchCreation.spoolFolder(of: store) + "/files") } catch {
            throw GatewayStartupError("cannot open the held-files folder beside the store: \(error.message)")
        }
        do {
            let recorded = try store.readWaiting { db throws(StoreError) in
                var ids = Set<String>()
                try db.query("SELECT id FROM files WHERE provider = ''") { ids.insert($0.text(0)) }
                return ids
            }
            let removed = heldFiles.sweep(keeping: recorded)
            if removed > 0 { log.warn("removed held files no record names (left by a crash)", fields: [("count", String(removed)), ("folder", heldFiles.folder)]) }
        } catch {
            throw GatewayStartupError("cannot read the store's held files (store.path \(config.store.path)): \(error.message)")
        }
        let services = GatewayServices(
            providers: providers,
            planner: PlanBuilder(routing: routing, guardrails: guardrails, providerOperations: plugins.providerOperations, enrichers: enrichers),
            settings: GatewaySettings(accessLog: accessLog, defaultFileProvider: config.files.defaultProvider,
                                      requestDeadline: config.server.requestDeadline.nanoseconds), log: log, workers: workers,
            guardrails: Dictionary(uniqueKeysWithValues: guardrails.map { ($0.name, $0) }), enrichers: enrichers,
            batchPreparers: batchPreparers, store: store, heldFiles: heldFiles)
        if let name = config.files.defaultProvider, services.nativeProvider(name, for: "files") == nil {
            let place = config.files.defaultProviderLocation.map { "\($0): " } ?? ""
            throw GatewayStartupError("\(place)files.default_provider: provider \"\(name)\" does not take files (its plugin's manifest does not list \"files\")")
        }
        responder = GatewayResponder(
            services: services, models: ModelsEndpoint(routing: routing, created: Int(unixNanoseconds() / 1_000_000_000)),
            responses: ResponseStore(store: store, retention: ResponseStore.Retention(config.store.responses), log: log))

        var http = HTTPServerConfiguration(host: config.server.host, port: config.server.port)
        http.loops = config.server.loops > 0 ? config.server.loops : EventLoopGroup.availableCores
        http.maxBodyBytes = config.server.maxBodyBytes
        http.maxStreamedBodyBytes = config.server.maxStreamedBodyBytes
        http.maxConnections = config.server.maxConnections
        http.maxBodyMemory = config.server.maxBodyMemory
        http.minBodyRate = config.server.minBodyRate
        http.bodyRateGrace = config.server.bodyRateGrace.nanoseconds
        http.headerTimeout = config.server.headerTimeout.nanoseconds
        http.bodyTimeout = config.server.bodyTimeout.nanoseconds
        http.idleTimeout = config.server.idleTimeout.nanoseconds
        http.log = { message, fields in log.warn(message, fields: fields) }
        http.renderError = { status, message, code, path in
            let type = status >= 500 ? "server_error" : "invalid_request_error"
            let body = GatewayError.render(message: message, type: type, param: nil, code: code)
            // Anthropic's SDK reads its own error shape on /v1/messages (an oversize or slow body).
            guard let path, path.hasPrefix("/v1/messages") else { return ("application/json", body) }
            return ("application/json", anthropicErrorBody(status: status, gatewayError: body))
        }
        var internalHTTP = http
        internalHTTP.host = "127.0.0.1"
        internalHTTP.port = 0
        internalHTTP.loops = 1
        do {
            server = try HTTPServer(configuration: http, responder: responder)
            internalServer = try HTTPServer(configuration: internalHTTP, responder: responder)
        } catch {
            throw GatewayStartupError("cannot create the HTTP server: \(error)")
        }
        let loops = server.group.loops + internalServer.group.loops
        responder.internalLoops = Set(internalServer.group.loops.map(ObjectIdentifier.init))
        responder.attach(loops: loops, maxPluginResponseBytes: config.server.maxUpstreamResponseBytes)
        let threshold = config.server.slowHookThreshold.nanoseconds
        watchdog = threshold == 0 ? nil : HookWatchdog(
            watches: responder.hookWatches(loops), plugins: watched, threshold: threshold, log: log)
    }

    /// Binds and starts serving; returns once the listeners are up.
    public func start() throws(GatewayStartupError) {
        // The internal listener first: a plugin may send to a path as soon as requests arrive.
        do { try internalServer.start() } catch {
            throw GatewayStartupError("cannot listen on 127.0.0.1 for plugins' requests to the gateway: \(error)")
        }
        do { try server.start() } catch {
            internalServer.shutdown(grace: 0)
            throw GatewayStartupError("cannot listen on \(config.server.host):\(config.server.port): \(error)")
        }
        responder.internalRequests.listening(on: internalServer.addresses.first)
        watchdog?.start()
        log.info("listening", fields: [
            ("address", server.addresses.map(\.description).joined(separator: ",")), ("loops", String(server.group.loops.count)),
            ("providers", plugins.providers.keys.sorted().joined(separator: ",")),
            ("plugin_workers", String(workers?.threadCount ?? 0)),
        ])
    }

    public var port: Int { server.port }

    /// Every address listened on (a host name may resolve to several), port included.
    public var addresses: [String] { server.addresses.map(\.description) }

    /// Stops accepting, lets in-flight requests and streams finish for up to `grace` (fractions
    /// of a second count), then ends what is left in each client's format (a 503, or a stream's
    /// error event) and stops. Access-log lines are written as they come from the start, so a
    /// process that exits in the middle (a second SIGTERM) loses none. Returns once stopped.
    public func shutdown(grace: Duration) {
        responder.beginDrain()
        server.shutdown(grace: grace.nanoseconds)
        // Inner requests belong to public ones, which are over now: nothing is left to wait for.
        internalServer.shutdown(grace: 0)
        // The loops have stopped (a request still on a worker was answered and its channel
        // closed): the workers end once their hooks return, within a bound.
        if let workers {
            let stuck = workers.shutdown(waitingAtMost: Self.workerShutdownWait)
            if stuck > 0 {
                log.warn("plugin worker threads still inside a hook at shutdown; not waiting for them", fields: [("threads", String(stuck))])
                // instance_free must not run while a hook is inside the instance: keep every
                // instance for the rest of the process (it is about to exit).
                for instance in plugins.instances.values { _ = Unmanaged.passRetained(instance) }
            }
        }
        watchdog?.stop()
        responder.flushAfterStop()
        // Last: writes queued by the requests that just finished are committed before exit.
        store.close()
    }

    /// How long shutdown waits for hooks still running on workers once the loops have stopped.
    static let workerShutdownWait: UInt64 = 5_000_000_000
}
