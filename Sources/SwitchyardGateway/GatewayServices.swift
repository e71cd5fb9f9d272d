import SwitchyardCore
import SwitchyardPlugins

/// Settings the request path reads, taken from the config once.
public struct GatewaySettings: Sendable {
    public var upstreamConnectTimeout: UInt64
    public var upstreamTimeout: UInt64
    public var accessLog: Bool

    public init(upstreamConnectTimeout: UInt64 = 5_000_000_000, upstreamTimeout: UInt64 = 600_000_000_000, accessLog: Bool = true) {
        self.upstreamConnectTimeout = upstreamConnectTimeout
        self.upstreamTimeout = upstreamTimeout
        self.accessLog = accessLog
    }
}

/// Everything the request path needs that lives as long as the process: immutable after start,
/// so every event loop reads it without locks.
final class GatewayServices: Sendable {
    let providers: [String: ProviderPlugin]
    let planner: PlanBuilder
    let settings: GatewaySettings
    let log: GatewayLog
    let accessLog: AccessLog

    init(providers: [String: ProviderPlugin], planner: PlanBuilder, settings: GatewaySettings, log: GatewayLog) {
        self.providers = providers
        self.planner = planner
        self.settings = settings
        self.log = log
        self.accessLog = AccessLog(enabled: settings.accessLog, log: log)
    }
}
