import Testing

@testable import SwitchyardConfig

@Suite("plugins and providers sections")
struct EntrySectionTests {
    static let twoPlugins = """
        plugins:
          - name: echo
            path: /p/libProviderEcho.so
          - name: openai
            path: /p/libProviderOpenAI.so

        """

    @Test("a plugin entry with every key")
    func fullPluginEntry() throws {
        let digest = String(repeating: "AB", count: 32)
        let config = try parse("""
            plugins:
              - name: vllm_local-2
                path: ${DIR:-/opt/plugins}/libProviderOpenAI.so
                sha256: \(digest)
                enabled: true
                config:
                  base_url: http://127.0.0.1:8000/v1
            """)
        let entry = try #require(config.plugins.first)
        #expect(entry == PluginEntry(
            name: "vllm_local-2", path: "/opt/plugins/libProviderOpenAI.so", sha256: digest.lowercased(),
            configJSON: Array(#"{"base_url":"http://127.0.0.1:8000/v1"}"#.utf8),
            location: SourceLocation(file: "test.yaml", line: 2, column: 5), configLocations: entry.configLocations))
        #expect(entry.configLocations["/base_url"] == PluginConfigLocations.Place(
            keyPath: "plugins[0].config.base_url", value: SourceLocation(file: "test.yaml", line: 7, column: 17),
            key: SourceLocation(file: "test.yaml", line: 7, column: 7)))
    }

    @Test("disabled entries are checked, then dropped")
    func disabledDropped() throws {
        let config = try parse(Self.twoPlugins + """
                enabled: false
            providers:
              - {name: echo, plugin: echo, models: ["*"]}
              - {name: openai, plugin: openai, models: [gpt-4o], enabled: false}
              - {name: off, plugin: openai, models: [x], enabled: }
            """)
        #expect(config.plugins.map(\.name) == ["echo"])
        #expect(config.providers.map(\.name) == ["echo"])
        #expect(config.providers[0].serves("anything"))
        #expect(errorText(Self.twoPlugins + "    enabled: false\n    sha256: nope\n") == """
            test.yaml:7:13: plugins[1].sha256: expected 64 hexadecimal digits (a SHA-256), got "nope"
            """)
    }

    @Test("plugin errors", arguments: [
        ("plugins: {}\n", "test.yaml:1:10: plugins: expected a list, got a mapping"),
        ("plugins:\n  - echo\n", #"test.yaml:2:5: plugins[0]: expected a mapping, got "echo""#),
        ("plugins:\n  -\n", "test.yaml:2:4: plugins[0]: expected a plugin entry (a mapping with name and path), got an empty value"),
        ("plugins:\n  - path: /x.so\n", #"test.yaml:2:5: plugins[0]: missing required key "name""#),
        ("plugins:\n  - name: x\n", #"test.yaml:2:5: plugins[0]: missing required key "path""#),
        ("plugins:\n  - name: Echo\n    path: /x.so\n", #"test.yaml:2:11: plugins[0].name: invalid name "Echo" (use lower-case letters, digits, "_" and "-")"#),
        ("plugins:\n  - name: a.b\n    path: /x.so\n", #"test.yaml:2:11: plugins[0].name: invalid name "a.b" (use lower-case letters, digits, "_" and "-")"#),
        ("plugins:\n  - {name: x, path: /x.so}\n  - {name: x, path: /y.so}\n", #"test.yaml:3:12: plugins[1].name: duplicate plugin name "x" (first used at line 2)"#),
        ("plugins:\n  - name: x\n    path: lib/x.so\n", #"test.yaml:3:11: plugins[0].path: must be an absolute path after interpolation, got "lib/x.so""#),
        ("plugins:\n  - name: x\n    path: ${DIR:-plugins}/x.so\n", #"test.yaml:3:11: plugins[0].path: must be an absolute path after interpolation, got "plugins/x.so""#),
        ("plugins:\n  - name: x\n    path: /x.so\n    sha256: abc\n", #"test.yaml:4:13: plugins[0].sha256: expected 64 hexadecimal digits (a SHA-256), got "abc""#),
        ("plugins:\n  - name: x\n    path: /x.so\n    enabled: yes\n", #"test.yaml:4:14: plugins[0].enabled: expected true or false (an empty value means false), got "yes""#),
        ("plugins:\n  - name: x\n    path: /x.so\n    enabled: \"true\"\n", #"test.yaml:4:14: plugins[0].enabled: expected true or false (an empty value means false), got the quoted string "true""#),
        ("plugins:\n  - name: x\n    path: /x.so\n    confg: {}\n", #"test.yaml:4:5: plugins[0].confg: unknown key (did you mean "config"?)"#),
        ("plugins:\n  - name: x\n    path: /x.so\n    sandbox: process\n", "test.yaml:4:5: plugins[0].sandbox: unknown key (known keys: name, path, sha256, enabled, config, isolation, isolation_limits)"),
    ])
    func pluginErrors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }

    @Test("a provider's timeouts override the server's, key by key; 0 turns one off")
    func providerTimeouts() throws {
        let config = try parse(Self.twoPlugins + """
            server:
              upstream_connect_timeout: 3s
              upstream_idle_timeout: 90s
            providers:
              - name: fast
                plugin: openai
                models: [a]
                timeouts: {connect: 2s, first_byte: 60s, idle: 30s, total: 0}
              - name: partial
                plugin: openai
                models: [b]
                timeouts:
                  first_byte: 10m
                  total: 1h
              - {name: plain, plugin: openai, models: [c]}
              - {name: empty, plugin: openai, models: [d], timeouts: }
            """)
        let byName = Dictionary(uniqueKeysWithValues: config.providers.map { ($0.name, $0.timeouts) })
        #expect(byName["fast"] == UpstreamTimeouts(connect: .seconds(2), firstByte: .seconds(60), idle: .seconds(30), total: .zero))
        #expect(byName["partial"] == UpstreamTimeouts(connect: .seconds(3), firstByte: .seconds(600), idle: .seconds(90), total: .seconds(3600)))
        #expect(byName["plain"] == UpstreamTimeouts(connect: .seconds(3), firstByte: .seconds(300), idle: .seconds(90), total: .zero))
        #expect(byName["empty"] == byName["plain"])
    }

    @Test("provider timeouts errors", arguments: [
        ("timeouts: 30s", #"test.yaml:7:52: providers[0].timeouts: expected a mapping, got "30s""#),
        ("timeouts: {conect: 1s}", #"test.yaml:7:53: providers[0].timeouts.conect: unknown key (did you mean "connect"?)"#),
        ("timeouts: {connect: 0}", "test.yaml:7:62: providers[0].timeouts.connect: must be greater than zero"),
        ("timeouts: {idle: soon}", #"test.yaml:7:59: providers[0].timeouts.idle: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "soon""#),
        ("timeouts: {first_byte: [1]}", "test.yaml:7:65: providers[0].timeouts.first_byte: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got a list"),
        ("timeouts: {total: 100d}", #"test.yaml:7:60: providers[0].timeouts.total: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "100d""#),
    ])
    func providerTimeoutErrors(field: String, expected: String) {
        #expect(errorText(Self.twoPlugins + "providers:\n  - {name: c, plugin: echo, models: [a], \(field)}\n") == expected)
    }

    @Test("provider errors", arguments: [
        (twoPlugins + "providers:\n  - name: chat\n    plugin: opnai\n    models: [gpt-4o]\n",
         #"test.yaml:8:13: providers[0].plugin: unknown plugin "opnai" (known: echo, openai)"#),
        ("providers:\n  - {name: chat, plugin: echo, models: [m]}\n",
         #"test.yaml:2:26: providers[0].plugin: unknown plugin "echo" (no plugins are configured)"#),
        (twoPlugins + "    enabled: false\nproviders:\n  - {name: chat, plugin: openai, models: [m]}\n",
         #"test.yaml:8:26: providers[0].plugin: plugin "openai" is disabled (line 4); disable this provider too or enable the plugin"#),
        (twoPlugins + "providers:\n  - {name: chat, plugin: echo}\n", #"test.yaml:7:5: providers[0]: missing required key "models""#),
        (twoPlugins + "providers:\n  - {name: chat, plugin: echo, models: []}\n", #"test.yaml:7:40: providers[0].models: list at least one model ("*" serves any model)"#),
        (twoPlugins + "providers:\n  - {name: chat, plugin: echo, models: m}\n", #"test.yaml:7:40: providers[0].models: expected a list, got "m""#),
        (twoPlugins + "providers:\n  - {name: chat, plugin: echo, models: [a, b, a]}\n", #"test.yaml:7:47: providers[0].models[2]: model "a" is listed twice"#),
        (twoPlugins + "providers:\n  - {name: chat, plugin: echo, models: [\"a b\"]}\n", #"test.yaml:7:41: providers[0].models[0]: a model name must not contain spaces or control characters, got "a b""#),
        (twoPlugins + "providers:\n  - {name: chat, plugin: echo, models: [\"\"]}\n", "test.yaml:7:41: providers[0].models[0]: a model name must not be empty"),
        (twoPlugins + "providers:\n  - {name: c, plugin: echo, models: [a]}\n  - {name: c, plugin: echo, models: [b]}\n", #"test.yaml:8:12: providers[1].name: duplicate provider name "c" (first used at line 7)"#),
        (twoPlugins + "providers:\n  - {name: c, plugin: echo, model: [a]}\n", #"test.yaml:7:29: providers[0].model: unknown key (did you mean "models"?)"#),
    ])
    func providerErrors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }
}
