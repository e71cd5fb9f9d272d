import CSwitchyardPlugin
import Synchronization

/// The host's side of one plugin instance: what `sy_hinst` points at. It knows the config entry
/// name (for logs), accounts the memory the plugin takes through `alloc`, and holds the metrics
/// the plugin defines.
///
/// Lifetime: registered in `HostInstance.all` and never released, because a plugin may keep its
/// `sy_hinst` until instance_free (and a buggy one beyond), and the host never unloads plugins.
/// That is one small object per config entry per (re)load. Thread-safe.
public final class HostInstance: Sendable {
    /// Plugin entry name from the config.
    public let name: String
    /// The plugin's reverse-DNS id.
    public let pluginID: String
    public let metrics = MetricRegistry()
    let allocatedBytes = Atomic<Int>(0)
    let allocations = Atomic<Int>(0)
    /// Hook calls of this plugin that ran on an event loop past `server.slow_hook_threshold`.
    let slowHookCount = Atomic<Int>(0)
    /// True while instance_new runs: the only time metric_define is allowed ([control]).
    let configuring = Atomic<Bool>(false)
    /// Reports of handles this instance used where they were not valid (rate-limited).
    let refusedHandleNotice = RateLimitedNotice()

    private static let registry = Mutex<[HostInstance]>([])

    init(name: String, pluginID: String) {
        self.name = name
        self.pluginID = pluginID
        Self.registry.withLock { $0.append(self) }
    }

    /// Every instance created in this process, oldest first (for a /metrics endpoint).
    public static var all: [HostInstance] { registry.withLock { $0 } }

    /// The opaque handle handed to the plugin. Unretained: the registry keeps `self` alive.
    public var handle: sy_hinst {
        OpaquePointer(Unmanaged.passUnretained(self).toOpaque())
    }

    /// The instance behind a handle the host gave out; nil for NULL.
    static func from(_ handle: sy_hinst?) -> HostInstance? {
        guard let handle else { return nil }
        return Unmanaged<HostInstance>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Hook calls of this instance that ran on an event loop past the slow-hook threshold (the
    /// gateway's hook watchdog counts them).
    public var slowHooks: Int { slowHookCount.load(ordering: .relaxed) }

    /// Counts one more slow hook call; returns the new total.
    @discardableResult
    public func countSlowHook() -> Int { slowHookCount.add(1, ordering: .relaxed).newValue }

    /// Bytes currently allocated through the host allocator (usable size), and live allocations.
    public var memory: (bytes: Int, allocations: Int) {
        (allocatedBytes.load(ordering: .relaxed), allocations.load(ordering: .relaxed))
    }
}
