/// The `admin:` section: how `/admin/*` (status, reload) is reached (docs/configuration.md,
/// docs/decisions/0023-admin-access.md). With neither key nor listener, nothing admin exists.
public struct AdminConfig: Sendable, Hashable {
    /// A listener of its own for `/admin/*` (host and port); nil when the section does not set one.
    public var listen: AdminListen?
    /// The bearer key `/admin/*` requires: always on the main listener (where, without a key,
    /// `/admin/*` does not exist), and on the admin listener too when set.
    /// It is also the master key (decision 0024): `admin.key` when written, else the value of
    /// the environment variable `masterKeyEnvironment` names, when set.
    public var key: String?
    /// `admin.master_key_env`: the variable the master key comes from when `admin.key` is not set.
    public var masterKeyEnvironment: String
    /// Where `key` came from, for the start-up line: "admin.key", "$VAR", or nil (no key).
    public var keySource: String?

    public static let defaultMasterKeyEnvironment = "SWITCHYARD_MASTER_KEY"

    public init(listen: AdminListen? = nil, key: String? = nil, masterKeyEnvironment: String = Self.defaultMasterKeyEnvironment, keySource: String? = nil) {
        self.listen = listen
        self.key = key
        self.masterKeyEnvironment = masterKeyEnvironment
        self.keySource = keySource ?? (key == nil ? nil : "admin.key")
    }
}

/// `admin.listen`: an IP literal or host name and a port (0 = the kernel picks one).
public struct AdminListen: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
