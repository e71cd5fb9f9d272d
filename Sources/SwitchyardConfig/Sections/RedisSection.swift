/// Decodes `redis:`: `address` is required; the rest falls back to `RedisConfig`'s defaults.
enum RedisSection {
    static let keys = ["address", "password", "database", "timeout", "on_unavailable", "key_cache"]

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> RedisConfig? {
        guard let value else { return nil }
        let fields = try value.mapping(allowedKeys: keys)
        let address = try fields.required("address")
        var redis = RedisConfig(address: try parseAddress(address))
        if let password = fields["password"] {
            // `password: ${REDIS_PASSWORD}` with the variable unset or empty: no AUTH.
            let text = password.node.isNull ? "" : try password.string()
            guard !text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw password.error("must not contain line breaks or NUL characters")
            }
            redis.password = text.isEmpty ? nil : text
        }
        if let database = fields["database"] { redis.database = try database.integer(in: 0...65_535) }
        if let timeout = fields["timeout"] {
            redis.timeout = try timeout.duration()
            guard redis.timeout >= .milliseconds(1), redis.timeout <= .seconds(60) else {
                throw timeout.error("must be from 1ms to 60s (it bounds how long admission waits for Redis)")
            }
        }
        if let policy = fields["on_unavailable"] {
            let text = try policy.string()
            guard let parsed = RedisConfig.UnavailablePolicy(rawValue: text) else {
                throw policy.error("must be fail_open (admit through this replica's own counters) or fail_closed (refuse with 503), got \"\(text)\"")
            }
            redis.onUnavailable = parsed
        }
        if let cache = fields["key_cache"] {
            redis.keyCache = try cache.duration()
            guard redis.keyCache <= .seconds(3600) else { throw cache.error("must be at most 1h (it bounds how late a revoked key is refused)") }
            guard redis.keyCache >= .milliseconds(100) else {
                throw cache.error("must be at least 100ms (replicas refresh their copy of the keys every half of it)")
            }
        }
        return redis
    }

    static func parseAddress(_ value: ConfigValue) throws(ConfigError) -> RedisConfig.Address {
        let text = try value.string()
        if text.hasPrefix("/") {
            guard !text.hasSuffix("/") else { throw value.error("names a folder; give the unix socket's path, e.g. /run/redis/redis.sock") }
            guard !text.utf8.contains(0), text.utf8.count < 108 else { throw value.error("must be a unix socket path shorter than 108 bytes") }
            return .unix(path: text)
        }
        guard let parsed = AdminSection.parseListen(text), parsed.port > 0 else {
            throw value.error("must be host:port (e.g. 127.0.0.1:6379, [::1]:6379, redis.internal:6379, port 1...65535) or a unix socket path starting with /, got \"\(text)\"")
        }
        return .tcp(host: parsed.host, port: parsed.port)
    }
}
