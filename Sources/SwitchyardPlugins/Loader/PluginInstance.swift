import CSwitchyardPlugin
import Synchronization

/// One plugin instance: one config entry, with the plugin's `sy_instance` and the host-side
/// `HostInstance` it was created with. `shutdown()` (or releasing the last reference) calls
/// `instance_free` exactly once; call it only after the last call on the instance has ended.
///
/// Threading: `interface` is thread-safe; `shutdown` is [control].
public final class PluginInstance: @unchecked Sendable {  // immutable but for the atomic flag
    public let library: PluginLibrary
    public let host: HostInstance
    /// The plugin's opaque handle, passed back on every call (may be NULL or an integer).
    public let pluginInstance: sy_instance?
    private let freed = Atomic<Bool>(false)
    private static let liveCount = Atomic<Int>(0)

    init(library: PluginLibrary, host: HostInstance, instance: sy_instance?) {
        self.library = library
        self.host = host
        self.pluginInstance = instance
        Self.liveCount.add(1, ordering: .relaxed)
    }

    /// Instances created (instance_new succeeded) and not yet freed, in this process: what a
    /// reload test reads to see that every replaced generation freed its instances.
    public static var live: Int { liveCount.load(ordering: .relaxed) }

    deinit { shutdown() }

    /// The config entry name.
    public var name: String { host.name }

    /// The plugin's static table for an interface id (e.g. SY_IFACE_PROVIDER), or nil when it
    /// does not provide it or the instance was shut down.
    public func interface(_ id: String) -> UnsafeRawPointer? {
        guard !freed.load(ordering: .acquiring) else { return nil }
        return library.api.pointee.get_interface(pluginInstance, id)
    }

    /// Frees the plugin's instance (instance_free); idempotent.
    public func shutdown() {
        guard !freed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        library.api.pointee.instance_free(pluginInstance)
        Self.liveCount.subtract(1, ordering: .relaxed)
    }
}
