/// One `plugins:` entry: a shared library to load and the configuration of its one instance.
public struct PluginEntry: Sendable, Hashable {
    /// Unique among plugin entries, `[a-z0-9_-]+`; providers refer to it by this name.
    public var name: String
    /// Absolute path of the shared library, after interpolation.
    public var path: String
    /// Expected SHA-256 of the library file, 64 lower-case hex digits, when pinned.
    public var sha256: String?
    /// The entry's `config:` subtree as compact UTF-8 JSON (`{}` when absent), handed to the
    /// plugin verbatim.
    public var configJSON: [UInt8]
    /// Where the entry starts in the configuration file.
    public var location: SourceLocation
    /// Where each value of `configJSON` is written in the file (by JSON Pointer).
    public var configLocations: PluginConfigLocations
    /// In the gateway (default) or in a supervised runner process (`isolation: process`).
    public var isolation: PluginIsolation

    public init(
        name: String, path: String, sha256: String? = nil, configJSON: [UInt8] = Array("{}".utf8), location: SourceLocation,
        configLocations: PluginConfigLocations? = nil, isolation: PluginIsolation = .inProcess
    ) {
        self.isolation = isolation
        self.name = name
        self.path = path
        self.sha256 = sha256
        self.configJSON = configJSON
        self.location = location
        self.configLocations = configLocations ?? PluginConfigLocations(root: .init(keyPath: "config", value: location))
    }
}
