/// Where a plugin entry's library runs (`isolation:` on a `plugins:` entry) and, when it runs in
/// a runner process of its own, the limits that process is supervised with (`isolation_limits:`).
/// docs/plugin-isolation.md.
public struct PluginIsolation: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable {
        /// dlopen in the gateway (the default): no cost, no containment.
        case inProcess = "in_process"
        /// A supervised runner process loads the library; a crash, hang or leak stays there.
        case process
    }

    public var mode: Mode
    /// Longest a hook may take in the runner before the runner is killed and restarted (a hung
    /// plugin cannot be recovered otherwise). Nanoseconds.
    public var hookTimeoutNanoseconds: UInt64
    /// Address space the plugin may add to the runner once started (RLIMIT_AS = the runner's
    /// start-up footprint + this), bytes: a leaking plugin fails there, not in the gateway.
    public var memoryLimitBytes: Int
    /// More restarts than this within `restartWindowNanoseconds` disable the plugin until the
    /// next config reload.
    public var maxRestarts: Int
    public var restartWindowNanoseconds: UInt64

    public static let defaultHookTimeoutNanoseconds: UInt64 = 10_000_000_000
    public static let defaultMemoryLimitBytes = 1 << 30
    public static let defaultMaxRestarts = 5
    public static let defaultRestartWindowNanoseconds: UInt64 = 60_000_000_000

    public init(mode: Mode = .inProcess, hookTimeoutNanoseconds: UInt64 = Self.defaultHookTimeoutNanoseconds,
                memoryLimitBytes: Int = Self.defaultMemoryLimitBytes, maxRestarts: Int = Self.defaultMaxRestarts,
                restartWindowNanoseconds: UInt64 = Self.defaultRestartWindowNanoseconds) {
        self.mode = mode
        self.hookTimeoutNanoseconds = hookTimeoutNanoseconds
        self.memoryLimitBytes = memoryLimitBytes
        self.maxRestarts = maxRestarts
        self.restartWindowNanoseconds = restartWindowNanoseconds
    }

    public static let inProcess = PluginIsolation()
}
