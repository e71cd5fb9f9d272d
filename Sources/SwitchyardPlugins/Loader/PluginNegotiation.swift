import CSwitchyardPlugin
import SwitchyardJSON

/// Calls `sy_plugin_entry` and checks what it returns. The plugin is untrusted input: every
/// field the host relies on is checked before first use, and each failure says what is wrong.
///
/// Versioning (the header's rules): the major must match exactly; the minor is negotiated down
/// to min(host, plugin). A plugin that needs a newer host returns SY_E_ABI with
/// `required_minor`; one that writes back a minor above the host's is refused the same way. A
/// table whose own `abi_minor` is newer than the host is fine once the plugin has agreed to the
/// host's minor: tables only grow at the end and the host reads only the fields it knows.
struct PluginNegotiation {
    let api: UnsafePointer<sy_plugin_api>
    let negotiatedMinor: UInt32
    let manifest: JSONValue
    let kinds: [String]
    let interfaces: [String]
    let configSchema: ConfigSchema?
    let blockingHooks: BlockingHooks

    init(entry function: sy_plugin_entry_fn, file: PluginFile) throws(PluginLoadError) {
        func failure(_ kind: PluginLoadError.Kind, _ message: String) -> PluginLoadError {
            PluginLoadError(kind, entry: file.entry, path: file.path, message)
        }
        var block = sy_negotiate(
            struct_size: UInt32(MemoryLayout<sy_negotiate>.size), abi_major: SY_ABI_MAJOR, abi_minor: SY_ABI_MINOR,
            required_minor: 0, host: HostServices.table, plugin: nil)
        let status = function(&block)
        try Self.checkEntry(status: status, abiMajor: block.abi_major, requiredMinor: block.required_minor, minor: block.abi_minor, failure)
        guard let api = block.plugin else {
            throw failure(.malformedDescriptor, "\(SY_PLUGIN_ENTRY_SYMBOL) returned SY_OK but no plugin table")
        }
        try self.init(api: api, negotiatedMinor: block.abi_minor, file: file)
    }

    /// What sy_plugin_entry answered (here or in an isolated plugin's runner, which passes it on):
    /// the status, the major it wrote back, the minor it requires, the minor it agreed to.
    static func checkEntry(status: Int32, abiMajor: UInt32, requiredMinor: UInt32, minor: UInt32,
                           _ failure: (PluginLoadError.Kind, String) -> PluginLoadError) throws(PluginLoadError) {
        let host = "host provides \(SY_ABI_MAJOR).\(SY_ABI_MINOR)"
        if status == SY_E_ABI {
            if abiMajor != SY_ABI_MAJOR {
                throw failure(.abiMajorMismatch, "plugin is built for ABI \(abiMajor).x, \(host)")
            }
            if requiredMinor > SY_ABI_MINOR {
                throw failure(.abiMinorTooNew, "plugin needs ABI \(SY_ABI_MAJOR).\(requiredMinor), \(host)")
            }
            throw failure(.abiMajorMismatch, "plugin refused ABI \(SY_ABI_MAJOR).\(SY_ABI_MINOR) without saying which version it needs")
        }
        guard status == SY_OK else {
            throw failure(.entryFailed, "\(SY_PLUGIN_ENTRY_SYMBOL) failed with \(PluginStatus.name(status)) (\(status))")
        }
        if minor > SY_ABI_MINOR {
            throw failure(.abiMinorTooNew, "plugin needs ABI \(SY_ABI_MAJOR).\(minor), \(host)")
        }
    }

    /// Checks a negotiated plugin table and its manifest.
    init(api: UnsafePointer<sy_plugin_api>, negotiatedMinor: UInt32, file: PluginFile) throws(PluginLoadError) {
        func failure(_ kind: PluginLoadError.Kind, _ message: String) -> PluginLoadError {
            PluginLoadError(kind, entry: file.entry, path: file.path, message)
        }
        try Self.validate(api, failure)
        self.api = api
        self.negotiatedMinor = negotiatedMinor

        let text = String(cString: api.pointee.manifest_json)
        let manifest: JSONValue
        do { manifest = try JSONValue.parse(text) } catch {
            throw failure(.malformedDescriptor, "manifest_json is not valid JSON (\(error))")
        }
        func strings(_ key: String) throws(PluginLoadError) -> [String] {
            guard let array = manifest[key]?.arrayValue else {
                throw failure(.malformedDescriptor, "manifest_json has no \"\(key)\" array")
            }
            let values = array.compactMap(\.stringValue)
            guard values.count == array.count else {
                throw failure(.malformedDescriptor, "manifest_json \"\(key)\" must hold strings only")
            }
            return values
        }
        guard manifest.objectValue != nil else { throw failure(.malformedDescriptor, "manifest_json is not a JSON object") }
        kinds = try strings("kinds")
        interfaces = try strings("interfaces")
        if let schema = manifest["config_schema"] {
            do { configSchema = try ConfigSchema(schema) } catch {
                throw failure(.malformedDescriptor, "manifest_json \"config_schema\" is not a schema the host can check: \(error)")
            }
        } else {
            configSchema = nil
        }
        do { blockingHooks = try BlockingHooks(manifest: manifest[BlockingHooks.manifestKey]) } catch {
            throw failure(.malformedDescriptor, error.message)
        }
        self.manifest = manifest
    }

    /// The table must be large enough for every ABI 1.0 field (checked before any of them is
    /// read) and carry the required strings and functions.
    private static func validate(_ api: UnsafePointer<sy_plugin_api>, _ failure: (PluginLoadError.Kind, String) -> PluginLoadError) throws(PluginLoadError) {
        let size = UnsafeRawPointer(api).load(as: UInt32.self)
        let required = MemoryLayout<sy_plugin_api>.offset(of: \sy_plugin_api.get_interface)! + MemoryLayout<UnsafeRawPointer>.size
        guard Int(size) >= required else {
            throw failure(.malformedDescriptor, "malformed plugin table: sy_plugin_api.struct_size is \(size) bytes, smaller than the ABI 1.0 sy_plugin_api (\(required) bytes)")
        }
        let table = api.pointee
        var problems: [String] = []
        if table.id == nil { problems.append("id is NULL") }
        if table.version == nil { problems.append("version is NULL") }
        if table.manifest_json == nil { problems.append("manifest_json is NULL") }
        if table.instance_new == nil { problems.append("instance_new is NULL") }
        if table.instance_free == nil { problems.append("instance_free is NULL") }
        if table.get_interface == nil { problems.append("get_interface is NULL") }
        if let id = table.id, id.pointee == 0 { problems.append("id is empty") }
        guard problems.isEmpty else {
            throw failure(.malformedDescriptor, "malformed plugin table: " + problems.joined(separator: ", "))
        }
    }
}
