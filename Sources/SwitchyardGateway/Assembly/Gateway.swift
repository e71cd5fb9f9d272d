import SwitchyardConfig
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardStore

/// The assembled gateway: the process part (listeners and their loops, the store, held files,
/// stored responses, logs, the worker pool, the hook watchdog, plugins' requests to the gateway)
/// built once, and the config generation (`GatewayGeneration`: plugins, routing, endpoints)
/// that a reload replaces (`reload`, decision 0022). `start` returns once listening; `shutdown`
/// drains in-flight requests and streams.
public final class Gateway: @unchecked Sendable {  // reload state is guarded by `reloads`
    let server: HTTPServer
    /// Where plugins' requests to the gateway itself arrive (`http_send` to a path): a listener of
    /// its own on 127.0.0.1, one loop, with its own `max_connections`, so a request that waits for
    /// a plugin's inner request (an LLM judge asking a model) never waits for a connection slot
    /// that it and its peers hold on the public listener.
    let internalServer: HTTPServer
    /// `admin.listen`: the listener for `/admin/*` only; nil when not configured.
    let adminServer: HTTPServer?
    let responder: GatewayResponder
    let admin: AdminEndpoint
    public let log: GatewayLog
    /// Runs the hooks plugins declare blocking; started by the first generation that needs it.
    let workers = PluginWorkers()
    /// Reports hooks that block an event loop; nil when `server.slow_hook_threshold` is 0.
    let watchdog: HookWatchdog?
    /// The embedded database (`store:`), opened and migrated before anything else starts, so a
    /// path that cannot be written fails the start naming it. Closed last at shutdown.
    public let store: Store
    /// Every target's breaker and latency average (kept across routing tables: docs/routing.md).
    public let healthBook = TargetHealthBook()
    /// `redis:`'s ledger (its client is the process's connection to Redis, keys share it); nil
    /// without `redis:`.
    let redis: RedisLedger?
    /// What each generation is built with (shared by all of them).
    let process: GatewayProcess
    /// Where a reload reads the config again; nil: reload refused (a gateway built in a test).
    let source: ConfigSource?
    /// One reload at a time, and none once shutdown has begun.
    let reloads = ReloadState()
    /// The metrics' process-level part: label names, plugin names, gauge sources (per-loop
    /// shards hold the numbers; `GET /metrics` merges them).
    public let metrics = GatewayMetrics()

    /// The running config (the current generation's).
    public var config: GatewayConfig { responder.installed.withLock { $0.config } }

    /// The current generation's plugins (tests).
    var generation: GatewayGeneration { responder.installed.withLock { $0 } }

    public init(config: GatewayConfig, log: GatewayLog = GatewayLog(), accessLog: Bool = true, source: ConfigSource? = nil) throws(GatewayStartupError) {
        self.log = log
        self.source = source
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
        let heldFiles = try Self.openHeldFiles(store: store, config: config, log: log)
        let responses = ResponseStore(store: store, retention: ResponseStore.Retention(config.store.responses), log: log)
        let localLedger = try Self.openLedger(store: store, config: config)
        let ledger: any GovernanceLedger
        let shared: SharedKeys?
        if let redisConfig = config.redis {
            let redisLedger = RedisLedger.make(config: redisConfig, fallback: localLedger, metrics: metrics, log: log,
                                               currency: config.pricing.currency, clock: localLedger.clock)
            redis = redisLedger
            ledger = redisLedger
            shared = SharedKeys(client: redisLedger.client, config: redisConfig, log: log)
        } else {
            redis = nil
            ledger = localLedger
            shared = nil
        }
        let keys: KeyRegistry
        do { keys = try KeyRegistry.load(store: store, shared: shared) } catch {
            throw GatewayStartupError("cannot read the virtual keys from the store (store.path \(config.store.path)): \(error.message)")
        }
        process = GatewayProcess(log: log, accessLog: accessLog, store: store, heldFiles: heldFiles, responses: responses,
                                 workers: workers, watched: WatchedPlugins(), healthBook: healthBook, ledger: ledger, ledgerClock: localLedger.clock,
                                 metrics: metrics, keys: keys,
                                 usage: UsageSink(store: store, log: log), auditDrops: AuditDrops())
        metrics.register(healthBook)
        metrics.register(process.usage.drops)
        metrics.register(process.auditDrops)
        let first = try GatewayGeneration(number: 1, config: config, process: process)
        admin = AdminEndpoint(key: config.admin.key)
        responder = GatewayResponder(generation: first, responses: responses, admin: admin, metrics: metrics,
                                     authentication: Authentication(directory: keys, required: config.keys.required, masterKey: config.admin.key))

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
            let admin = admin
            adminServer = try config.admin.listen.map { listen throws(IOError) in
                try HTTPServer(configuration: AdminResponder.configuration(listen, base: http), responder: AdminResponder(admin: admin))
            }
        } catch {
            throw GatewayStartupError("cannot create the HTTP server: \(error)")
        }
        let loops = server.group.loops + internalServer.group.loops
        responder.internalLoops = Set(internalServer.group.loops.map(ObjectIdentifier.init))
        responder.attach(loops: loops, maxPluginResponseBytes: config.server.maxUpstreamResponseBytes)
        if let redis {
            redis.attach(loops)
            shared?.start(on: server.group.loops[0])
        }
        let threshold = config.server.slowHookThreshold.nanoseconds
        watchdog = threshold == 0 ? nil : HookWatchdog(
            watches: responder.hookWatches(loops), plugins: process.watched, threshold: threshold, log: log)
        admin.gateway = self
    }

    /// The process's ledger, with the spend of the current periods read back from the store.
    private static func openLedger(store: Store, config: GatewayConfig) throws(GatewayStartupError) -> LocalLedger {
        let clock = LedgerClock.fromEnvironment()
        let now = Int64(clock.now() / 1_000_000_000)
        do {
            let totals = try store.readWaiting { db throws(StoreError) in try SpendTotal.current(at: now, db) }
            return LocalLedger(currency: config.pricing.currency, store: store, clock: clock, persisted: totals)
        } catch {
            throw GatewayStartupError("cannot read the store's spend totals (store.path \(config.store.path)): \(error.message)")
        }
    }

    /// The files the gateway keeps itself, beside the store; those no record names (left by a
    /// crash) are removed.
    private static func openHeldFiles(store: Store, config: GatewayConfig, log: GatewayLog) throws(GatewayStartupError) -> HeldFiles {
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
        return heldFiles
    }

    /// Binds and starts serving; returns once the listeners are up.
    public func start() throws(GatewayStartupError) {
        // The internal listener first: a plugin may send to a path as soon as requests arrive.
        do { try internalServer.start() } catch {
            throw GatewayStartupError("cannot listen on 127.0.0.1 for plugins' requests to the gateway: \(error)")
        }
        let config = config
        do { try server.start() } catch {
            internalServer.shutdown(grace: 0)
            throw GatewayStartupError("cannot listen on \(config.server.host):\(config.server.port): \(error)")
        }
        if let adminServer, let listen = config.admin.listen {
            do { try adminServer.start() } catch {
                server.shutdown(grace: 0)
                internalServer.shutdown(grace: 0)
                throw GatewayStartupError("cannot listen on admin.listen \(listen): \(error)")
            }
        }
        responder.internalRequests.listening(on: internalServer.addresses.first)
        watchdog?.start()
        log.info("listening", fields: [
            ("address", server.addresses.map(\.description).joined(separator: ",")), ("loops", String(server.group.loops.count)),
            ("providers", generation.services.providers.keys.sorted().joined(separator: ",")),
            ("plugin_workers", String(workers.current?.threadCount ?? 0)),
        ])
        log.info("admin access", fields: AdminEndpoint.describe(config.admin, listening: adminAddresses))
        KeysStartup.log(config, keys: process.keys, to: log)
        if let redis = config.redis {
            log.info("governance: keys, budgets and rate limits shared through redis", fields: [
                ("address", redis.address.description), ("on_unavailable", redis.onUnavailable.rawValue),
                ("key_cache", "\(redis.keyCache.nanoseconds / 1_000_000)ms"),
            ])
        } else if !config.budgets.isEmpty || !config.rateLimits.isEmpty {
            log.info("governance: budgets and rate limits counted by this process (no redis)")
        }
    }

    /// The admin listener's addresses; empty when `admin.listen` is not set.
    public var adminAddresses: [String] { adminServer?.addresses.map(\.description) ?? [] }

    public var port: Int { server.port }

    /// Every address listened on (a host name may resolve to several), port included.
    public var addresses: [String] { server.addresses.map(\.description) }

    /// Stops accepting, lets in-flight requests and streams finish for up to `grace` (fractions
    /// of a second count), then ends what is left in each client's format (a 503, or a stream's
    /// error event) and stops. Access-log lines are written as they come from the start, so a
    /// process that exits in the middle (a second SIGTERM) loses none. Returns once stopped.
    public func shutdown(grace: Duration) {
        reloads.stop()  // a reload under way finishes first; none starts after
        responder.beginDrain()
        adminServer?.shutdown(grace: 0)
        // Each loop's Redis connection closes on it once its requests are over (their
        // settlements sent); nil without `redis:`.
        var closeRedis: (@Sendable (EventLoop) -> Void)?
        if let client = redis?.client { closeRedis = { loop in client.close(on: loop) } }
        server.shutdown(grace: grace.nanoseconds, drained: closeRedis)
        // Inner requests belong to public ones, which are over now: nothing is left to wait for.
        internalServer.shutdown(grace: 0, drained: closeRedis)
        // The loops have stopped (a request still on a worker was answered and its channel
        // closed): the workers end once their hooks return, within a bound.
        if let workers = workers.current {
            let stuck = workers.shutdown(waitingAtMost: Self.workerShutdownWait)
            if stuck > 0 {
                log.warn("plugin worker threads still inside a hook at shutdown; not waiting for them", fields: [("threads", String(stuck))])
                // instance_free must not run while a hook is inside the instance: keep every
                // instance for the rest of the process (it is about to exit). Older generations
                // are kept by the requests still on those workers.
                for instance in generation.lifetime.instances { _ = Unmanaged.passRetained(instance) }
            }
        }
        watchdog?.stop()
        responder.flushAfterStop()
        process.ledger.flushSpend()  // the spend gathered since its last write (its timer will not run)
        // Last: writes queued by the requests that just finished are committed before exit.
        store.close()
    }

    /// How long shutdown waits for hooks still running on workers once the loops have stopped.
    static let workerShutdownWait: UInt64 = 5_000_000_000
}
