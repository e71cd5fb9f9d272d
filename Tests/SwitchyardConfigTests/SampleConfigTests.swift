import Testing

@testable import SwitchyardConfig

@Suite("The default configuration")
struct SampleConfigTests {
    @Test("parses to the expected typed values without OPENAI_API_KEY")
    func withoutOpenAIKey() throws {
        let config = try parse(defaultConfigYAML, env: ["SWITCHYARD_PLUGIN_DIR": "/opt/switchyard/plugins"])
        #expect(config.sourceName == "test.yaml")
        var server = ServerConfig()
        server.maxBodyBytes = 33_554_432
        #expect(config.server == server)
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.port == 8080)
        #expect(config.server.upstreamTimeouts == UpstreamTimeouts(connect: .seconds(5), firstByte: .seconds(300), idle: .seconds(300), total: .zero))

        // The built-in batch preparer comes with every config that has no batch_preparers: section.
        #expect(config.plugins.map(\.name) == ["echo", "switchyard-batch-models"])
        #expect(config.batchPreparers.map(\.name) == ["batch-models"])
        let echo = try #require(config.plugins.first)
        #expect(echo.path == "/opt/switchyard/plugins/libProviderEcho.so")
        #expect(echo.sha256 == nil)
        #expect(String(decoding: echo.configJSON, as: UTF8.self) == "{}")
        #expect(echo.location.description == "test.yaml:17:5")

        #expect(config.providers == [
            ProviderEntry(name: "echo", plugin: "echo", models: ["echo-1"], location: SourceLocation(file: "test.yaml", line: 27, column: 5))
        ])
        // "fast" points at a model only the disabled openai provider serves: dropped.
        #expect(config.aliases == ["default": "echo-1"])
    }

    @Test("enables the openai plugin and provider when OPENAI_API_KEY is set")
    func withOpenAIKey() throws {
        let config = try parse(defaultConfigYAML, env: ["SWITCHYARD_PLUGIN_DIR": "/p", "OPENAI_API_KEY": "sk-test"])
        #expect(config.plugins.map(\.name) == ["echo", "openai", "switchyard-batch-models"])
        #expect(config.providers.map(\.name) == ["echo", "openai"])
        let openai = try #require(config.plugin(named: "openai"))
        #expect(openai.path == "/p/libProviderOpenAI.so")
        #expect(String(decoding: openai.configJSON, as: UTF8.self)
            == #"{"base_url":"https://api.openai.com/v1","api_key_env":"OPENAI_API_KEY"}"#)
        #expect(config.provider(named: "openai")?.models == ["gpt-4o", "gpt-4o-mini"])
        #expect(config.aliases == ["fast": "gpt-4o-mini", "default": "echo-1"])
    }

    @Test("an empty OPENAI_API_KEY counts as unset")
    func emptyKeyDisables() throws {
        let config = try parse(defaultConfigYAML, env: ["SWITCHYARD_PLUGIN_DIR": "/p", "OPENAI_API_KEY": ""])
        #expect(config.providers.map(\.name) == ["echo"])
    }

    @Test("fails with a located error when SWITCHYARD_PLUGIN_DIR is unset")
    func missingPluginDir() {
        #expect(errorText(defaultConfigYAML) == """
            test.yaml:18:11: plugins[0].path: environment variable SWITCHYARD_PLUGIN_DIR is not set \
            (write ${SWITCHYARD_PLUGIN_DIR:-default} to give a default)
            """)
    }

    @Test("an empty document gives every default")
    func emptyDocument() throws {
        for text in ["", "# only a comment\n", "---\n"] {
            let config = try parse(text)
            #expect(config.server == ServerConfig())
            #expect(config.plugins.isEmpty && config.providers.isEmpty && config.aliases.isEmpty)
        }
    }
}
