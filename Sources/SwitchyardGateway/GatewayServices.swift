import SwitchyardCore
import SwitchyardPlugins

/// Settings the request path reads, taken from the config once.
public struct GatewaySettings: Sendable {
    public var accessLog: Bool

    public init(accessLog: Bool = true) {
        self.accessLog = accessLog
    }
}

/// A provider as the request path uses it: its plugin instance, and its upstream limits
/// resolved once at start-up (one dictionary lookup per attempt finds both).
struct ConfiguredProvider: Sendable {
    let plugin: ProviderPlugin
    let limits: UpstreamLimits
}

/// Everything the request path needs that lives as long as the process: immutable after start,
/// so every event loop reads it without locks.
final class GatewayServices: Sendable {
    let providers: [String: ConfiguredProvider]
    let planner: PlanBuilder
    let settings: GatewaySettings
    let log: GatewayLog
    let accessLog: AccessLog

    init(providers: [String: ConfiguredProvider], planner: PlanBuilder, settings: GatewaySettings, log: GatewayLog) {
        self.providers = providers
        self.planner = planner
        self.settings = settings
        self.log = log
        self.accessLog = AccessLog(enabled: settings.accessLog, log: log)
    }
}
