import SwitchyardCore
import SwitchyardPlugins
import SwitchyardPosix

/// Settings the request path reads, taken from the config once.
public struct GatewaySettings: Sendable {
    public var accessLog: Bool

    public init(accessLog: Bool = true) {
        self.accessLog = accessLog
    }
}

/// A provider as the request path uses it: its plugin instance, its upstream limits, the hooks
/// its plugin's manifest declares blocking and its tag for the loops' hook watch, all resolved
/// once at start-up (one dictionary lookup per attempt finds them).
struct ConfiguredProvider: Sendable {
    let plugin: ProviderPlugin
    let limits: UpstreamLimits
    var blocking: BlockingHooks = []
    var watchTag: UInt64 = 0
}

/// Everything the request path needs that lives as long as the process: immutable after start,
/// so every event loop reads it without locks.
final class GatewayServices: Sendable {
    let providers: [String: ConfiguredProvider]
    let planner: PlanBuilder
    let settings: GatewaySettings
    let log: GatewayLog
    let accessLog: AccessLog
    /// Runs the hooks plugins declare blocking; nil when no loaded plugin declares one.
    let workers: WorkerPool?

    init(providers: [String: ConfiguredProvider], planner: PlanBuilder, settings: GatewaySettings, log: GatewayLog, workers: WorkerPool? = nil) {
        self.providers = providers
        self.workers = workers
        self.planner = planner
        self.settings = settings
        self.log = log
        self.accessLog = AccessLog(enabled: settings.accessLog, log: log)
    }
}
