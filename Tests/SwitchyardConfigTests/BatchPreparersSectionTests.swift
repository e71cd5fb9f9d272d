import Testing

@testable import SwitchyardConfig

@Suite("batch_preparers section")
struct BatchPreparersSectionTests {
    /// A preparer plugin, an enabled and a disabled provider; `batch_preparers:` last, so an
    /// entry appended to it starts on line 13.
    static let base = """
        plugins:
          - name: models
            path: /p/libBatchModels.so
          - name: echo
            path: /p/libProviderEcho.so
          - name: openai
            path: /p/libProviderOpenAI.so
            enabled: false
        providers:
          - {name: echo, plugin: echo, models: [echo-1]}
          - {name: openai, plugin: openai, models: [gpt-4o], enabled: false}
        batch_preparers:

        """

    static func entry(_ fields: String) -> String {
        base + "  - {plugin: models, \(fields)}\n"
    }

    @Test("entries in run order, with every key")
    func entries() throws {
        let config = try parse(Self.base + "  - {name: first, plugin: models, providers: [echo], enabled: true}\n  - plugin: models\n")
        #expect(config.batchPreparers == [
            BatchPreparerEntry(name: "first", plugin: "models", providers: ["echo"], location: SourceLocation(file: "test.yaml", line: 13, column: 5)),
            BatchPreparerEntry(plugin: "models", location: SourceLocation(file: "test.yaml", line: 14, column: 5)),
        ])
    }

    @Test("no section: the built-in preparer from SWITCHYARD_PLUGIN_DIR; an empty one: none")
    func builtIn() throws {
        let absent = String(Self.base.dropLast("batch_preparers:\n".count))
        let config = try parse(absent, env: ["SWITCHYARD_PLUGIN_DIR": "/opt/sy"])
        #expect(config.batchPreparers.map(\.name) == ["batch-models"])
        #expect(config.batchPreparers.first?.plugin == "switchyard-batch-models")
        #expect(config.plugin(named: "switchyard-batch-models")?.path == "/opt/sy/libBatchModels.so")
        #expect(try parse(absent).batchPreparers.isEmpty)  // no bundle to find it in
        #expect(try parse(Self.base.replacingOccurrences(of: "batch_preparers:\n", with: "batch_preparers: []\n"), env: ["SWITCHYARD_PLUGIN_DIR": "/opt/sy"])
            .batchPreparers.isEmpty)
        #expect(try parse(Self.base, env: ["SWITCHYARD_PLUGIN_DIR": "/opt/sy"]).batchPreparers.isEmpty)  // `batch_preparers:` with nothing
        // A plugins: entry of the built-in's name serves as the built-in.
        let own = "plugins:\n  - {name: switchyard-batch-models, path: /mine/lib.so}\n"
        let mine = try parse(own, env: ["SWITCHYARD_PLUGIN_DIR": "/opt/sy"])
        #expect(mine.plugins.map(\.path) == ["/mine/lib.so"] && mine.batchPreparers.map(\.name) == ["batch-models"])
    }

    @Test("disabled entries are checked, then dropped")
    func disabled() throws {
        let config = try parse(Self.base + "  - {plugin: openai, providers: [openai], enabled: false}\n  - {plugin: models}\n")
        #expect(config.batchPreparers.map(\.name) == ["models"])
    }

    @Test("entry errors name the file and line", arguments: [
        ("batch_preparers: {}\n", "test.yaml:1:18: batch_preparers: expected a list, got a mapping"),
        ("batch_preparers:\n  -\n", "test.yaml:2:4: batch_preparers[0]: expected a batch preparer entry (a mapping with at least plugin), got an empty value"),
        (entry("config: {x: 1}"), "test.yaml:13:22: batch_preparers[0].config: unknown key (known keys: name, plugin, providers, enabled)"),
        (base + "  - {plugin: nope}\n", #"test.yaml:13:14: batch_preparers[0].plugin: unknown plugin "nope" (known: models, echo, openai)"#),
        (entry("providers: [nope]"), #"test.yaml:13:34: batch_preparers[0].providers[0]: unknown provider "nope" (known: echo, openai)"#),
        (entry("providers: [openai]"), #"test.yaml:13:34: batch_preparers[0].providers[0]: provider "openai" is disabled (line 11); disable this batch preparer too or enable the provider"#),
        (base + "  - {plugin: openai}\n", #"test.yaml:13:14: batch_preparers[0].plugin: plugin "openai" is disabled (line 6); disable this batch preparer too or enable the plugin"#),
        (base + "  - {plugin: models}\n  - {plugin: models}\n",
         #"test.yaml:14:14: batch_preparers[1].plugin: duplicate batch preparer name "models" (first used at line 13); a batch preparer's name defaults to its plugin: give each entry using plugin "models" its own name"#),
    ])
    func entryErrors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }
}
