import Synchronization
import SwitchyardPlugins

/// What keeps one generation's plugin instances alive: the generation's `GatewayServices` holds
/// it, and so does every request that took those services at its start (the executor, native
/// and passthrough requests, their writer closures). When the last of them lets go, `deinit`
/// drops the instances (each frees itself once: `PluginInstance` calls instance_free) and logs
/// the release. The libraries stay loaded (`PluginLibrary` never closes one), so a worker thread
/// can never be inside unloaded code.
///
/// Threading: released on whichever thread drops the last reference (an event loop at the end
/// of a request, a worker thread, or the control thread); nothing else is touched after start.
final class GenerationLifetime: @unchecked Sendable {  // `plugins` is only dropped in deinit
    let number: Int
    private var plugins: LoadedPlugins?
    private let log: GatewayLog
    private static let liveCount = Atomic<Int>(0)

    init(number: Int, plugins: LoadedPlugins, log: GatewayLog) {
        self.number = number
        self.plugins = plugins
        self.log = log
        Self.liveCount.add(1, ordering: .relaxed)
    }

    /// Generations not yet released: the current one plus those that still serve requests.
    static var live: Int { liveCount.load(ordering: .relaxed) }

    /// The instances of this generation's plugins (for the stuck-worker guard at shutdown).
    var instances: [PluginInstance] { plugins.map { Array($0.instances.values) } ?? [] }

    deinit {
        let count = plugins?.instances.count ?? 0
        plugins = nil  // instance_free of each instance, now
        let live = Self.liveCount.subtract(1, ordering: .relaxed).newValue
        log.info("config generation released", fields: [
            ("generation", String(number)), ("instances_freed", String(count)),
            ("live_generations", String(live)), ("live_plugin_instances", String(PluginInstance.live)),
        ])
    }
}
