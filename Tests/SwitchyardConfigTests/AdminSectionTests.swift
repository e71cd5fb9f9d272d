import Testing

@testable import SwitchyardConfig

@Suite("admin section")
struct AdminSectionTests {
    @Test("absent: no key, no listener")
    func absent() throws {
        #expect(try parse("").admin == AdminConfig())
        #expect(try parse("admin:\n").admin == AdminConfig())
    }

    @Test("listen and key, the key from the environment")
    func both() throws {
        let admin = try parse("admin:\n  listen: 127.0.0.1:9901\n  key: ${ADMIN}\n", env: ["ADMIN": "0123456789abcdef"]).admin
        #expect(admin.listen == AdminListen(host: "127.0.0.1", port: 9901))
        #expect(admin.key == "0123456789abcdef")
    }

    @Test("listen forms", arguments: [
        ("127.0.0.1:0", AdminListen(host: "127.0.0.1", port: 0)),
        ("localhost:65535", AdminListen(host: "localhost", port: 65535)),
        ("[::1]:9901", AdminListen(host: "::1", port: 9901)),
    ])
    func listenForms(text: String, listen: AdminListen) {
        #expect(AdminSection.parseListen(text) == listen)
        #expect(listen.description == text)
    }

    @Test("malformed listen", arguments: ["9901", "127.0.0.1", "127.0.0.1:", ":9901", "::1:9901", "[::1]9901", "[::1", "host:65536", "host:-1", "host:99999999", "a b:1", "host:1x"])
    func malformedListen(text: String) {
        #expect(AdminSection.parseListen(text) == nil)
    }

    @Test("errors name the key and line", arguments: [
        ("admin:\n  listen: 9901\n", "test.yaml:2:11: admin.listen: must be host:port, e.g. 127.0.0.1:9901 or [::1]:9901 (port 0...65535)"),
        ("admin:\n  key: short\n", "test.yaml:2:8: admin.key: must be at least 16 characters (it was 5); set it from a secret, e.g. key: ${SWITCHYARD_ADMIN_KEY}"),
        ("admin:\n  key: \"0123456789 abcdef\"\n", "test.yaml:2:8: admin.key: must not contain spaces or control characters (it is sent as a bearer token)"),
        ("admin:\n  keys: x\n", #"test.yaml:2:3: admin.keys: unknown key (did you mean "key"?)"#),
    ])
    func errors(yaml: String, message: String) {
        #expect(errorText(yaml) == message)
    }
}

@Suite("settings only a restart changes")
struct RestartOnlySettingsTests {
    @Test("none changed: the reload may go ahead, whatever else differs")
    func reloadable() throws {
        let running = try parse("server:\n  port: 8080\n")
        let reloaded = try parse("server:\n  port: 8080\n  upstream_timeout: 5s\n  max_sse_event_bytes: 1MiB\n  shutdown_grace: 3s\nadmin:\n  key: 0123456789abcdef\n")
        #expect(RestartOnlySettings.changed(from: running, to: reloaded) == [])
    }

    @Test("each changed one is named, in a stable order")
    func named() throws {
        let running = try parse("")
        let reloaded = try parse("""
            server:
              host: 0.0.0.0
              port: 9000
              loops: 3
              max_connections: 10
              plugin_workers: 2
              slow_hook_threshold: 0s
            store:
              path: /tmp/elsewhere.db
            admin:
              listen: 127.0.0.1:9901

            """)
        #expect(RestartOnlySettings.changed(from: running, to: reloaded) == [
            "server.host", "server.port", "server.loops", "server.max_connections", "server.plugin_workers",
            "server.slow_hook_threshold", "store", "admin.listen",
        ])
    }
}
