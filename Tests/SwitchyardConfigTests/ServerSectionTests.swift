import Testing

@testable import SwitchyardConfig

@Suite("server section and top level")
struct ServerSectionTests {
    @Test("every key set explicitly")
    func explicit() throws {
        let config = try parse("""
            server:
              host: 0.0.0.0
              port: 0
              loops: 4
              max_body_bytes: 1MB
              max_connections: 100
              max_body_memory: 64MiB
              min_body_rate: 1KiB
              body_rate_grace: 2.5s
              header_timeout: 5
              body_timeout: 45s
              idle_timeout: 2m
              shutdown_grace: 500ms
              upstream_connect_timeout: 3s
              upstream_first_byte_timeout: 1m
              upstream_idle_timeout: 45s
              upstream_timeout: 10m
              max_upstream_response_bytes: 8MiB
              max_sse_event_bytes: 1MiB
              plugin_workers: 2
              plugin_worker_queue: 0
              slow_hook_threshold: 10ms
            """)
        var expected = ServerConfig()
        expected.host = "0.0.0.0"
        expected.port = 0
        expected.loops = 4
        expected.maxBodyBytes = 1_000_000
        expected.maxConnections = 100
        expected.maxBodyMemory = 64 << 20
        expected.minBodyRate = 1024
        expected.bodyRateGrace = .milliseconds(2500)
        expected.headerTimeout = .seconds(5)
        expected.bodyTimeout = .seconds(45)
        expected.idleTimeout = .seconds(120)
        expected.shutdownGrace = .milliseconds(500)
        expected.upstreamTimeouts = UpstreamTimeouts(connect: .seconds(3), firstByte: .seconds(60), idle: .seconds(45), total: .seconds(600))
        expected.maxUpstreamResponseBytes = 8 << 20
        expected.maxSSEEventBytes = 1 << 20
        expected.pluginWorkers = 2
        expected.pluginWorkerQueue = 0
        expected.slowHookThreshold = .milliseconds(10)
        #expect(config.server == expected)
    }

    @Test("defaults")
    func defaults() throws {
        let server = try parse("server:\n").server
        #expect(server.host == "127.0.0.1" && server.port == 8080 && server.loops == 0)
        #expect(server.maxBodyBytes == 33_554_432 && server.maxConnections == 4096 && server.maxBodyMemory == 256 << 20)
        #expect(server.minBodyRate == 16_384 && server.bodyRateGrace == .seconds(10))
        #expect(server.headerTimeout == .seconds(10) && server.bodyTimeout == .seconds(30))
        #expect(server.idleTimeout == .seconds(60) && server.shutdownGrace == .seconds(30))
        #expect(server.upstreamTimeouts == UpstreamTimeouts(connect: .seconds(5), firstByte: .seconds(300), idle: .seconds(300), total: .zero))
        #expect(server.maxUpstreamResponseBytes == 64 << 20 && server.maxSSEEventBytes == 16 << 20)
        #expect(server.pluginWorkers == 4 && server.pluginWorkerQueue == 64 && server.slowHookThreshold == .milliseconds(50))
    }

    @Test("0 turns the first-byte, idle and total upstream timeouts off; the old upstream_timeout is the total")
    func upstreamTimeoutsOff() throws {
        let server = try parse("""
            server:
              upstream_first_byte_timeout: 0
              upstream_idle_timeout: 0s
              upstream_timeout: 0
            """).server
        #expect(server.upstreamTimeouts == UpstreamTimeouts(connect: .seconds(5), firstByte: .zero, idle: .zero, total: .zero))
        #expect(try parse("server:\n  upstream_timeout: 600s\n").server.upstreamTimeouts.total == .seconds(600))
    }

    @Test("errors", arguments: [
        ("srever:\n  port: 1\n", #"test.yaml:1:1: srever: unknown key (did you mean "server"?)"#),
        ("routing: {}\n", "test.yaml:1:1: routing: unknown key (known keys: server, plugins, providers, aliases, guardrails, enrichers, batch_preparers, store, files, model_groups, pricing, admin, keys, budgets, rate_limits, redis, usage, audit)"),
        ("- server\n", "test.yaml:1:1: expected a mapping, got a list"),
        ("server: [1]\n", "test.yaml:1:9: server: expected a mapping, got a list"),
        ("server:\n  prot: 1\n", #"test.yaml:2:3: server.prot: unknown key (did you mean "port"?)"#),
        ("server:\n  max_body_byte: 1\n", #"test.yaml:2:3: server.max_body_byte: unknown key (did you mean "max_body_bytes"?)"#),
        ("server:\n  port: 70000\n", "test.yaml:2:9: server.port: 70000 is out of range (0 to 65535)"),
        ("server:\n  port: -1\n", "test.yaml:2:9: server.port: -1 is out of range (0 to 65535)"),
        ("server:\n  port: http\n", #"test.yaml:2:9: server.port: expected an integer from 0 to 65535, got "http""#),
        ("server:\n  port: 80.5\n", #"test.yaml:2:9: server.port: expected an integer from 0 to 65535, got "80.5""#),
        ("server:\n  port: \"8080\"\n", #"test.yaml:2:9: server.port: expected an integer from 0 to 65535, got the quoted string "8080""#),
        ("server:\n  port:\n", "test.yaml:2:8: server.port: expected an integer from 0 to 65535, got an empty value"),
        ("server:\n  loops: 5000\n", "test.yaml:2:10: server.loops: 5000 is out of range (0 to 1024)"),
        ("server:\n  max_connections: 0\n", "test.yaml:2:20: server.max_connections: 0 is out of range (1 to 10000000)"),
        ("server:\n  max_body_bytes: 8MiB\n  max_body_memory: 4MiB\n",
         "test.yaml:3:20: server.max_body_memory: max_body_memory (4194304 bytes) must be at least max_body_bytes (8388608 bytes), or no body of the largest size could ever be received"),
        ("server:\n  body_rate_grace: 0s\n", "test.yaml:2:20: server.body_rate_grace: must be greater than zero"),
        ("server:\n  host: \"a b\"\n", #"test.yaml:2:9: server.host: host must not contain spaces or control characters, got "a b""#),
        ("server:\n  host: ~\n", "test.yaml:2:9: server.host: expected a string, got an empty value"),
        ("server:\n  host: {a: 1}\n", "test.yaml:2:9: server.host: expected a string, got a mapping"),
        ("server:\n  max_body_bytes: 32MB2\n", #"test.yaml:2:19: server.max_body_bytes: expected a size in bytes such as 33554432, 512KiB or 32MiB, got "32MB2""#),
        ("server:\n  max_body_bytes: 0\n", "test.yaml:2:19: server.max_body_bytes: must be greater than zero"),
        ("server:\n  header_timeout: 10 sec\n", #"test.yaml:2:19: server.header_timeout: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "10 sec""#),
        ("server:\n  idle_timeout: 0s\n", "test.yaml:2:17: server.idle_timeout: must be greater than zero"),
        ("server:\n  upstream_timeout: [1]\n", "test.yaml:2:21: server.upstream_timeout: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got a list"),
        ("server:\n  upstream_connect_timeout: 0\n", "test.yaml:2:29: server.upstream_connect_timeout: must be greater than zero"),
        ("server:\n  upstream_first_byte_timeout: -1s\n", #"test.yaml:2:32: server.upstream_first_byte_timeout: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "-1s""#),
        ("server:\n  upstream_idle_timeout: forever\n", #"test.yaml:2:26: server.upstream_idle_timeout: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "forever""#),
        ("server:\n  upstream_idle_timout: 1s\n", #"test.yaml:2:3: server.upstream_idle_timout: unknown key (did you mean "upstream_idle_timeout"?)"#),
        ("server:\n  max_upstream_response_bytes: 0\n", "test.yaml:2:32: server.max_upstream_response_bytes: must be greater than zero"),
        ("server:\n  max_upstream_response_bytes: 1.5MiB\n", #"test.yaml:2:32: server.max_upstream_response_bytes: expected a size in bytes such as 33554432, 512KiB or 32MiB, got "1.5MiB""#),
        ("server:\n  max_sse_event_bytes: lots\n", #"test.yaml:2:24: server.max_sse_event_bytes: expected a size in bytes such as 33554432, 512KiB or 32MiB, got "lots""#),
        ("server:\n  plugin_workers: 0\n", "test.yaml:2:19: server.plugin_workers: 0 is out of range (1 to 1024)"),
        ("server:\n  plugin_worker_queue: -1\n", "test.yaml:2:24: server.plugin_worker_queue: -1 is out of range (0 to 1000000)"),
        ("server:\n  slow_hook_threshold: soon\n", #"test.yaml:2:24: server.slow_hook_threshold: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "soon""#),
    ])
    func errors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }
}
