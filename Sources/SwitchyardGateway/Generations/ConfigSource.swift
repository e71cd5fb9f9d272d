import SwitchyardConfig

/// Where the running config came from, read again by each reload: the file given to `serve`
/// (re-read from disk, environment interpolated again), or the embedded default.
public struct ConfigSource: Sendable {
    /// The file path, or the embedded config's name (logs and admin status).
    public let name: String
    public let read: @Sendable () throws(ConfigError) -> GatewayConfig

    public init(name: String, read: @escaping @Sendable () throws(ConfigError) -> GatewayConfig) {
        self.name = name
        self.read = read
    }
}
