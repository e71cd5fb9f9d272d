import Testing

@testable import SwitchyardConfig

@Suite("Durations and sizes")
struct QuantityTextTests {
    @Test("durations", arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("10s", .seconds(10)),
        ("2m", .seconds(120)),
        ("1h", .seconds(3600)),
        ("30", .seconds(30)),
        ("1.5", .milliseconds(1500)),
        ("0.1s", .milliseconds(100)),
        ("1.25m", .seconds(75)),
        ("0", .zero),
        ("10 s", .seconds(10)),
    ])
    func durations(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test("invalid durations", arguments: ["", "s", "10sec", "-1s", "1.s", ".5s", "1e3", "10 ms x", "1.0000000001s", "2400h"])
    func invalidDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("sizes", arguments: [
        ("33554432", 33_554_432),
        ("32MiB", 32 << 20),
        ("512KiB", 512 << 10),
        ("1GiB", 1 << 30),
        ("100KB", 100_000),
        ("2MB", 2_000_000),
        ("1GB", 1_000_000_000),
        ("8B", 8),
        ("4 KiB", 4096),
    ])
    func sizes(text: String, expected: Int) {
        #expect(ByteSizeText.parse(text) == expected)
    }

    @Test("invalid sizes", arguments: ["", "MiB", "1.5MiB", "32mib", "32M", "-1", "99999999999999GiB", "0x10"])
    func invalidSizes(text: String) {
        #expect(ByteSizeText.parse(text) == nil)
    }

    @Test("server fields use them, with located errors")
    func throughLoader() throws {
        let config = try parse("""
            server:
              max_body_bytes: 512KiB
              header_timeout: 250ms
              body_timeout: 2m
              idle_timeout: 90
              shutdown_grace: 0
              upstream_connect_timeout: 1.5s
              upstream_timeout: 1h
            """)
        #expect(config.server.maxBodyBytes == 524_288)
        #expect(config.server.headerTimeout == .milliseconds(250))
        #expect(config.server.bodyTimeout == .seconds(120))
        #expect(config.server.idleTimeout == .seconds(90))
        #expect(config.server.shutdownGrace == .zero)
        #expect(config.server.upstreamTimeouts.connect == .milliseconds(1500))
        #expect(config.server.upstreamTimeouts.total == .seconds(3600))
    }
}
