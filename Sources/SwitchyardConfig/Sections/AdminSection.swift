/// Decodes `admin:` (`listen: host:port`, `key: …`); both optional.
enum AdminSection {
    static let keys = ["listen", "key"]
    /// Shorter keys are refused: the key guards reload, which loads plugin code.
    static let minimumKeyLength = 16

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> AdminConfig {
        var admin = AdminConfig()
        guard let value else { return admin }
        let fields = try value.mapping(allowedKeys: keys)
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
        }
        return admin
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
