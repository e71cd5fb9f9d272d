import CSwitchyardPlugin
import Synchronization
import SwitchyardJSON
#if canImport(Glibc)
import Glibc
#endif

/// One plugin shared library, loaded and negotiated. Loaded with RTLD_NOW (a missing symbol
/// fails here, not at first call) and RTLD_LOCAL (plugins never see each other's symbols), and
/// never closed: unloading a Swift or Go image is unsafe. The same file (device + inode) loaded
/// twice is the same library.
///
/// Threading: `load` is thread-safe; a library is immutable afterwards.
public final class PluginLibrary: @unchecked Sendable {
    public let path: String
    public let api: UnsafePointer<sy_plugin_api>
    /// min(host minor, plugin minor).
    public let negotiatedMinor: UInt32
    public let id: String
    public let version: String
    public let manifest: JSONValue

    private static let loaded = Mutex<[String: PluginLibrary]>([:])

    private init(path: String, api: UnsafePointer<sy_plugin_api>, negotiatedMinor: UInt32, manifest: JSONValue) {
        self.path = path
        self.api = api
        self.negotiatedMinor = negotiatedMinor
        self.id = String(cString: api.pointee.id)
        self.version = String(cString: api.pointee.version)
        self.manifest = manifest
    }

    /// Checks, opens and negotiates `path`; `sha256` (hex) pins the file's contents.
    public static func load(path: String, sha256: String? = nil) throws(PluginLoadError) -> PluginLibrary {
        guard path.hasPrefix("/") else {
            throw PluginLoadError(.pathNotAbsolute, path: path, "plugin paths must be absolute")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw PluginLoadError(.fileMissing, path: path, "no such file (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw PluginLoadError(.notARegularFile, path: path, "not a regular file")
        }
        if let expected = sha256?.lowercased() {
            let actual = try checksum(path)
            guard actual == expected else {
                throw PluginLoadError(.checksumMismatch, path: path, "sha256 mismatch: the config pins \(expected), the file is \(actual)")
            }
        }
        let key = "\(info.st_dev):\(info.st_ino)"
        if let library = loaded.withLock({ $0[key] }) { return library }

        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            throw PluginLoadError(.notASharedObject, path: path, "cannot load as a shared library: \(reason)")
        }
        guard let symbol = dlsym(handle, SY_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginLoadError(.noEntrySymbol, path: path, "not a Switchyard plugin: it does not export \(SY_PLUGIN_ENTRY_SYMBOL)")
        }
        let entry = unsafeBitCast(symbol, to: sy_plugin_entry_fn.self)
        let library = try negotiate(entry, path: path)
        return loaded.withLock { libraries in
            if let existing = libraries[key] { return existing }
            libraries[key] = library
            return library
        }
    }

    private static func negotiate(_ entry: sy_plugin_entry_fn, path: String) throws(PluginLoadError) -> PluginLibrary {
        var block = sy_negotiate(
            struct_size: UInt32(MemoryLayout<sy_negotiate>.size), abi_major: SY_ABI_MAJOR, abi_minor: SY_ABI_MINOR,
            required_minor: 0, host: HostServices.table, plugin: nil)
        let status = entry(&block)
        let host = "host provides \(SY_ABI_MAJOR).\(SY_ABI_MINOR)"
        if status == SY_E_ABI {
            if block.abi_major != SY_ABI_MAJOR {
                throw PluginLoadError(.abiMajorMismatch, path: path, "plugin is built for ABI \(block.abi_major).x, \(host)")
            }
            if block.required_minor > SY_ABI_MINOR {
                throw PluginLoadError(.abiMinorTooNew, path: path, "plugin needs ABI \(SY_ABI_MAJOR).\(block.required_minor), \(host)")
            }
            throw PluginLoadError(.abiMajorMismatch, path: path, "plugin refused ABI \(SY_ABI_MAJOR).\(SY_ABI_MINOR) (built for another major version)")
        }
        guard status == SY_OK else {
            throw PluginLoadError(.entryFailed, path: path, "\(SY_PLUGIN_ENTRY_SYMBOL) failed with \(PluginStatus.name(status))")
        }
        guard let api = block.plugin else {
            throw PluginLoadError(.malformedDescriptor, path: path, "\(SY_PLUGIN_ENTRY_SYMBOL) returned no plugin table")
        }
        if api.pointee.abi_minor > SY_ABI_MINOR {
            throw PluginLoadError(.abiMinorTooNew, path: path, "plugin needs ABI \(SY_ABI_MAJOR).\(api.pointee.abi_minor), \(host)")
        }
        try validate(api, path: path)
        let manifestText = String(cString: api.pointee.manifest_json)
        let manifest: JSONValue
        do { manifest = try JSONValue.parse(manifestText) } catch {
            throw PluginLoadError(.malformedDescriptor, path: path, "manifest is not valid JSON: \(error)")
        }
        guard manifest["kinds"]?.arrayValue != nil, manifest["interfaces"]?.arrayValue != nil else {
            throw PluginLoadError(.malformedDescriptor, path: path, "manifest lacks \"kinds\" or \"interfaces\" arrays")
        }
        return PluginLibrary(path: path, api: api, negotiatedMinor: min(block.abi_minor, SY_ABI_MINOR), manifest: manifest)
    }

    /// Plugin output is untrusted: every field the host relies on is checked before first use.
    private static func validate(_ api: UnsafePointer<sy_plugin_api>, path: String) throws(PluginLoadError) {
        let table = api.pointee
        let required = MemoryLayout<sy_plugin_api>.offset(of: \sy_plugin_api.get_interface)! + MemoryLayout<UnsafeRawPointer>.size
        var problems: [String] = []
        if Int(table.struct_size) < required { problems.append("struct_size \(table.struct_size) < \(required)") }
        if table.id == nil { problems.append("no id") }
        if table.version == nil { problems.append("no version") }
        if table.manifest_json == nil { problems.append("no manifest") }
        if table.instance_new == nil { problems.append("no instance_new") }
        if table.instance_free == nil { problems.append("no instance_free") }
        if table.get_interface == nil { problems.append("no get_interface") }
        if !problems.isEmpty {
            throw PluginLoadError(.malformedDescriptor, path: path, "malformed plugin table: " + problems.joined(separator: ", "))
        }
    }

    static func checksum(_ path: String) throws(PluginLoadError) -> String {
        guard let file = fopen(path, "rb") else {
            throw PluginLoadError(.fileMissing, path: path, "cannot read (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return hasher.hexDigest()
    }

    /// One instance for one config entry; `configJSON` is the entry's `config` as JSON.
    public func instantiate(name: String, configJSON: [UInt8]) throws(PluginLoadError) -> PluginInstance {
        let host = HostInstance(name: name, pluginID: id)
        var error = freshError()
        var instance: sy_instance?
        let status = configJSON.withUnsafeBytes { raw in
            api.pointee.instance_new(host.handle, raw.syBytes, &instance, &error)
        }
        guard status == SY_OK else {
            let failure = PluginFailure(status: status, error: &error)
            if status == SY_E_CONFIG {
                throw PluginLoadError(.configRejected, path: path, "plugin rejected its config: \(failure.message)")
            }
            throw PluginLoadError(.instanceFailed, path: path, "instance_new failed with \(PluginStatus.name(status)): \(failure.message)")
        }
        return PluginInstance(library: self, host: host, instance: instance)
    }
}

/// One plugin instance (one YAML entry). Freed with `instance_free` when released.
public final class PluginInstance: @unchecked Sendable {
    public let library: PluginLibrary
    public let host: HostInstance
    /// The plugin's opaque handle, passed back on every call.
    public let pluginInstance: sy_instance?

    init(library: PluginLibrary, host: HostInstance, instance: sy_instance?) {
        self.library = library
        self.host = host
        self.pluginInstance = instance
    }

    deinit { library.api.pointee.instance_free(pluginInstance) }

    /// The plugin's table for an interface id (e.g. SY_IFACE_PROVIDER), or nil.
    public func interface(_ id: String) -> UnsafeRawPointer? {
        library.api.pointee.get_interface(pluginInstance, id)
    }
}
