/// Why a plugin library or instance could not be loaded. Every error names the file and, when
/// the caller passed it, the config entry that asked for it: an operator reading the message
/// knows which YAML entry and which file to fix. Distinct kinds, because each has a different fix.
public struct PluginLoadError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case pathNotAbsolute
        case fileMissing
        case notARegularFile
        /// The file exists but cannot be read (permissions) or changed while it was being loaded.
        case unreadable
        case checksumMismatch
        /// dlopen refused it: not ELF, an executable, the wrong architecture, a missing dependency.
        case notASharedObject
        case noEntrySymbol
        case abiMajorMismatch
        case abiMinorTooNew
        /// sy_plugin_entry failed with a status other than SY_E_ABI.
        case entryFailed
        /// The sy_plugin_api table or its manifest is unusable.
        case malformedDescriptor
        /// instance_new returned SY_E_CONFIG; `message` carries the plugin's reason.
        case configRejected
        /// instance_new failed otherwise.
        case instanceFailed
    }

    public let kind: Kind
    /// The plugin entry name from the config, when known.
    public let entry: String?
    public let path: String
    public let message: String

    public init(_ kind: Kind, entry: String? = nil, path: String, _ message: String) {
        self.kind = kind
        self.entry = entry
        self.path = path
        self.message = message
    }

    /// `plugin "openai-eu" (/usr/lib/switchyard/libopenai.so): <message>`, or `<path>: <message>`
    /// when no entry name is known (e.g. `switchyard plugins inspect`).
    public var description: String {
        if let entry { return "plugin \"\(entry)\" (\(path)): \(message)" }
        return "\(path): \(message)"
    }

    /// The same error attributed to a config entry.
    public func naming(entry: String) -> PluginLoadError {
        PluginLoadError(kind, entry: entry, path: path, message)
    }
}
