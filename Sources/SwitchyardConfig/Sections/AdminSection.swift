/// Decodes `admin:` (`listen: host:port`, `key: …`, `master_key_env: NAME`); all optional.
/// Without `key`, the master key (the same thing, decision 0024) is read from the variable
/// `master_key_env` names (SWITCHYARD_MASTER_KEY by default) in the config's environment.
enum AdminSection {
    static let keys = ["listen", "key", "master_key_env"]
    /// Shorter keys are refused: the key guards reload, which loads plugin code.
    static let minimumKeyLength = 16

    static func decode(_ value: ConfigValue?, environment: Environment, sourceName: String) throws(ConfigError) -> AdminConfig {
        var admin = AdminConfig()
        guard let value else { return try withEnvironmentKey(admin, environment: environment, at: SourceLocation(file: sourceName, line: 0, column: 0)) }
        let fields = try value.mapping(allowedKeys: keys)
        if let name = fields["master_key_env"] {
            let text = try name.string()
            guard !text.isEmpty, text.utf8.allSatisfy({ isVariableByte($0) }), !(text.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? true) else {
                throw name.error("must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got \"\(text)\"")
            }
            admin.masterKeyEnvironment = text
        }
        if let listen = fields["listen"] {
            guard let parsed = parseListen(try listen.string()) else {
                throw listen.error("must be host:port, e.g. 127.0.0.1:9901 or [::1]:9901 (port 0...65535)")
            }
            admin.listen = parsed
        }
        if let key = fields["key"] {
            let text = try key.string()
            guard text.utf8.count >= minimumKeyLength else {
                throw key.error("must be at least \(minimumKeyLength) characters (it was \(text.utf8.count)); set it from a secret, e.g. key: ${SWITCHYARD_ADMIN_KEY}")
            }
            guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
                throw key.error("must not contain spaces or control characters (it is sent as a bearer token)")
            }
            admin.key = text
            admin.keySource = "admin.key"
            return admin
        }
        return try withEnvironmentKey(admin, environment: environment, at: (fields["master_key_env"] ?? value).location)
    }

    /// `admin` with the master key from its environment variable, when that is set; its checks
    /// are admin.key's, the error placed at `location` (`master_key_env`, else `admin:`).
    private static func withEnvironmentKey(_ admin: AdminConfig, environment: Environment, at location: SourceLocation) throws(ConfigError) -> AdminConfig {
        let name = admin.masterKeyEnvironment
        guard let text = environment.value(of: name) else { return admin }
        guard text.utf8.count >= minimumKeyLength else {
            throw ConfigError("the master key in $\(name) must be at least \(minimumKeyLength) characters (it was \(text.utf8.count))", at: location, keyPath: "admin.master_key_env")
        }
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw ConfigError("the master key in $\(name) must not contain spaces or control characters (it is sent as a bearer token)", at: location, keyPath: "admin.master_key_env")
        }
        var admin = admin
        admin.key = text
        admin.keySource = "$" + name
        return admin
    }

    private static func isVariableByte(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F
    }

    /// "host:port" or "[v6]:port" into its parts; nil when malformed.
    static func parseListen(_ text: String) -> AdminListen? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }  // a bare IPv6 literal needs brackets
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }),
              !portText.isEmpty, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), portText.utf8.count <= 5,
              let port = Int(portText), port <= 65535 else { return nil }
        return AdminListen(host: String(host), port: port)
    }
}
