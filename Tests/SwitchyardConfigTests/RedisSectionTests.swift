import Testing

@testable import SwitchyardConfig

@Suite("redis section")
struct RedisSectionTests {
    @Test("absent: no Redis")
    func absent() throws {
        #expect(try parse("").redis == nil)
    }

    @Test("only the address: the defaults")
    func defaults() throws {
        let redis = try #require(try parse("redis:\n  address: 127.0.0.1:6379\n").redis)
        #expect(redis.address == .tcp(host: "127.0.0.1", port: 6379))
        #expect(redis.password == nil)
        #expect(redis.database == 0)
        #expect(redis.timeout == .milliseconds(250))
        #expect(redis.onUnavailable == .failOpen)
        #expect(redis.keyCache == .seconds(2))
    }

    @Test("every key, the password from the environment")
    func everything() throws {
        let yaml = """
            redis:
              address: /run/redis/redis.sock
              password: ${REDIS_PASSWORD:-}
              database: 2
              timeout: 50ms
              on_unavailable: fail_closed
              key_cache: 10s

            """
        let redis = try #require(try parse(yaml, env: ["REDIS_PASSWORD": "pa ss"]).redis)
        #expect(redis.address == .unix(path: "/run/redis/redis.sock"))
        #expect(redis.password == "pa ss")
        #expect(redis.database == 2)
        #expect(redis.timeout == .milliseconds(50))
        #expect(redis.onUnavailable == .failClosed)
        #expect(redis.keyCache == .seconds(10))
        // The variable unset (with the `:-` default): no AUTH.
        #expect(try parse(yaml, env: [:]).redis?.password == nil)
    }

    @Test("address forms", arguments: [
        ("localhost:6380", RedisConfig.Address.tcp(host: "localhost", port: 6380)),
        ("[::1]:6379", .tcp(host: "::1", port: 6379)),
        ("/tmp/r.sock", .unix(path: "/tmp/r.sock")),
    ])
    func addresses(text: String, address: RedisConfig.Address) throws {
        #expect(try parse("redis:\n  address: \"\(text)\"\n").redis?.address == address)
        #expect(address.description == text)
    }

    @Test("errors name the key and line", arguments: [
        ("redis:\n  database: 1\n", "test.yaml:2:3: redis: missing required key \"address\""),
        ("redis:\n  address: 6379\n", "test.yaml:2:12: redis.address: must be host:port (e.g. 127.0.0.1:6379, [::1]:6379, redis.internal:6379, port 1...65535) or a unix socket path starting with /, got \"6379\""),
        ("redis:\n  address: localhost:0\n", "test.yaml:2:12: redis.address: must be host:port (e.g. 127.0.0.1:6379, [::1]:6379, redis.internal:6379, port 1...65535) or a unix socket path starting with /, got \"localhost:0\""),
        ("redis:\n  address: /run/redis/\n", "test.yaml:2:12: redis.address: names a folder; give the unix socket's path, e.g. /run/redis/redis.sock"),
        ("redis:\n  address: a:1\n  database: -1\n", "test.yaml:3:13: redis.database: -1 is out of range (0 to 65535)"),
        ("redis:\n  address: a:1\n  timeout: 0s\n", "test.yaml:3:12: redis.timeout: must be from 1ms to 60s (it bounds how long admission waits for Redis)"),
        ("redis:\n  address: a:1\n  timeout: 2m\n", "test.yaml:3:12: redis.timeout: must be from 1ms to 60s (it bounds how long admission waits for Redis)"),
        ("redis:\n  address: a:1\n  timeout: soon\n", "test.yaml:3:12: redis.timeout: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got \"soon\""),
        ("redis:\n  address: a:1\n  on_unavailable: open\n", "test.yaml:3:19: redis.on_unavailable: must be fail_open (admit through this replica's own counters) or fail_closed (refuse with 503), got \"open\""),
        ("redis:\n  address: a:1\n  key_cache: 2h\n", "test.yaml:3:14: redis.key_cache: must be at most 1h (it bounds how late a revoked key is refused)"),
        ("redis:\n  address: a:1\n  key_cache: 50ms\n", "test.yaml:3:14: redis.key_cache: must be at least 100ms (replicas refresh their copy of the keys every half of it)"),
        ("redis:\n  address: a:1\n  passwd: x\n", #"test.yaml:3:3: redis.passwd: unknown key (did you mean "password"?)"#),
    ])
    func errors(yaml: String, message: String) {
        #expect(errorText(yaml) == message)
    }

    @Test("a changed redis section needs a restart")
    func restartOnly() throws {
        let running = try parse("redis:\n  address: a:1\n")
        #expect(RestartOnlySettings.changed(from: running, to: try parse("redis:\n  address: a:1\n")) == [])
        #expect(RestartOnlySettings.changed(from: running, to: try parse("redis:\n  address: a:2\n")) == ["redis"])
    }
}
