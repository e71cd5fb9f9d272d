/// The `admin:` section: how `/admin/*` (status, reload) is reached (docs/configuration.md,
/// docs/decisions/0023-admin-access.md). With neither key nor listener, nothing admin exists.
public struct AdminConfig: Sendable, Hashable {
    /// A listener of its own for `/admin/*` (host and port); nil when the section does not set one.
    public var listen: AdminListen?
    /// The bearer key `/admin/*` requires: always on the main listener (where, without a key,
    /// `/admin/*` does not exist), and on the admin listener too when set.
    public var key: String?

    public init(listen: AdminListen? = nil, key: String? = nil) {
        self.listen = listen
        self.key = key
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
