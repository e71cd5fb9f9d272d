import CSwitchyardPlugin
import Synchronization
import SwitchyardJSON
#if canImport(Glibc)
import Glibc
#endif

/// One plugin shared library, loaded and negotiated.
///
/// Loaded with RTLD_NOW (a missing symbol fails here, not at the first request) and RTLD_LOCAL
/// (plugins never see each other's symbols), and never closed: unloading a Swift or Go image
/// is unsafe, and instances may outlive any bookkeeping. The same file (device + inode) loaded
/// twice is the same library, negotiated once.
///
/// Threading: `load` is thread-safe (loads are serialized: sy_plugin_entry runs under one
/// lock, as the ABI promises plugins); a library is immutable afterwards.
public final class PluginLibrary: @unchecked Sendable {  // immutable; `api` points at static plugin data
    public let path: String
    public let api: UnsafePointer<sy_plugin_api>
    /// The ABI minor both sides agreed on: min(host minor, plugin minor).
    public let negotiatedMinor: UInt32
    /// The minor the plugin was compiled against (its table's `abi_minor`).
    public let pluginMinor: UInt32
    public let id: String
    public let version: String
    /// SY_F_* bits.
    public let flags: UInt32
    public let manifest: JSONValue
    /// The manifest's `kinds` and `interfaces`.
    public let kinds: [String]
    public let interfaces: [String]
    /// The manifest's `config_schema`, checked when the library loaded; nil when it declares none.
    /// The host applies it to every entry's config before `instance_new`.
    public let configSchema: ConfigSchema?
    /// The hooks the manifest declares as possibly blocking (`"blocking_hooks"`), run on the
    /// host's worker pool instead of an event loop.
    public let blockingHooks: BlockingHooks
    /// The runner process of an entry with `isolation: process` (nil: loaded in this process).
    public let isolation: IsolatedRunner?

    private static let loaded = Mutex<[String: PluginLibrary]>([:])

    init(path: String, negotiation: PluginNegotiation, isolation: IsolatedRunner? = nil, blockingHooks: BlockingHooks? = nil, manifest: JSONValue? = nil) {
        self.path = path
        self.isolation = isolation
        api = negotiation.api
        negotiatedMinor = negotiation.negotiatedMinor
        pluginMinor = api.pointee.abi_minor
        id = String(cString: api.pointee.id)
        version = String(cString: api.pointee.version)
        flags = api.pointee.flags
        self.manifest = manifest ?? negotiation.manifest
        kinds = negotiation.kinds
        interfaces = negotiation.interfaces
        configSchema = negotiation.configSchema
        self.blockingHooks = blockingHooks ?? negotiation.blockingHooks
    }

    /// Checks, opens and negotiates the plugin at `path` (absolute). `sha256` (hex) pins the
    /// file's contents; `entry` is the config entry asking, named in every error.
    public static func load(path: String, sha256: String? = nil, entry: String? = nil) throws(PluginLoadError) -> PluginLibrary {
        let file = try PluginFile(path: path, entry: entry)
        if let sha256 { try file.verify(sha256: sha256) }
        return try loaded.withLock { (libraries) throws(PluginLoadError) -> PluginLibrary in
            if let library = libraries[file.key] { return library }
            let library = try open(file)
            if sha256 != nil { try file.verifyUnchanged() }
            libraries[file.key] = library
            return library
        }
    }

    /// Lowercase hex SHA-256 of a file (what a `sha256:` pin in the config must say).
    public static func sha256(ofFileAt path: String) throws(PluginLoadError) -> String {
        try PluginFile.sha256(path: path)
    }

    private static func open(_ file: PluginFile) throws(PluginLoadError) -> PluginLibrary {
        _ = dlerror()
        guard let handle = dlopen(file.path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            throw PluginLoadError(.notASharedObject, entry: file.entry, path: file.path, "cannot load as a shared library: \(reason)")
        }
        guard let symbol = dlsym(handle, SY_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginLoadError(.noEntrySymbol, entry: file.entry, path: file.path, "not a Switchyard plugin: it does not export \(SY_PLUGIN_ENTRY_SYMBOL)")
        }
        let negotiation = try PluginNegotiation(entry: unsafeBitCast(symbol, to: sy_plugin_entry_fn.self), file: file)
        return PluginLibrary(path: file.path, negotiation: negotiation)
    }

    /// Creates the instance for one config entry (`name`); `configJSON` is the entry's `config`.
    /// [control] thread.
    public func instantiate(name: String, configJSON: [UInt8]) throws(PluginLoadError) -> PluginInstance {
        if let isolation { return try instantiateIsolated(isolation, name: name, configJSON: configJSON) }
        let host = HostInstance(name: name, pluginID: id)
        var error = sy_error()
        error.struct_size = UInt32(MemoryLayout<sy_error>.size)
        var instance: sy_instance?
        host.configuring.store(true, ordering: .releasing)
        let status = configJSON.withUnsafeBytes { raw in
            api.pointee.instance_new(host.handle, sy_bytes(ptr: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), len: raw.count), &instance, &error)
        }
        host.configuring.store(false, ordering: .releasing)
        guard status == SY_OK else {
            let message = Self.message(of: &error)
            if status == SY_E_CONFIG {
                throw PluginLoadError(.configRejected, entry: name, path: path, "plugin rejected its config: \(message ?? "no reason given")")
            }
            throw PluginLoadError(.instanceFailed, entry: name, path: path, "instance_new failed with \(PluginStatus.name(status)): \(message ?? "no message")")
        }
        return PluginInstance(library: self, host: host, instance: instance)
    }

    /// The NUL-terminated message a plugin put in its error block (bounded by the capacity even
    /// when the plugin forgot the NUL); nil when empty.
    static func message(of error: inout sy_error) -> String? {
        let text = withUnsafeBytes(of: &error.message) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return text.isEmpty ? nil : text
    }
}
