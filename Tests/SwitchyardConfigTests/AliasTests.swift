import Testing

@testable import SwitchyardConfig

@Suite("aliases")
struct AliasTests {
    static let base = """
        plugins:
          - {name: echo, path: /p/echo.so}
          - {name: openai, path: /p/openai.so}
        providers:
          - {name: echo, plugin: echo, models: [echo-1]}
          - {name: openai, plugin: openai, models: [gpt-4o, gpt-4o-mini]}

        """

    @Test("chains are flattened to the final model")
    func chains() throws {
        let config = try parse(Self.base + "aliases:\n  best: smart\n  smart: gpt-4o\n  fast: gpt-4o-mini\n  quoted: \"echo-1\"\n")
        #expect(config.aliases == ["best": "gpt-4o", "smart": "gpt-4o", "fast": "gpt-4o-mini", "quoted": "echo-1"])
    }

    @Test("a wildcard provider accepts any target")
    func wildcard() throws {
        let config = try parse("""
            plugins: [{name: e, path: /e.so}]
            providers: [{name: e, plugin: e, models: ["*"]}]
            aliases: {x: whatever-model}
            """)
        #expect(config.aliases == ["x": "whatever-model"])
    }

    @Test("errors", arguments: [
        (base + "aliases:\n  fast: gpt-4o-mni\n", #"test.yaml:8:9: aliases.fast: alias target "gpt-4o-mni" is neither a model of any provider nor an alias (did you mean "gpt-4o-mini"?)"#),
        (base + "aliases:\n  fast: claude\n", #"test.yaml:8:9: aliases.fast: alias target "claude" is neither a model of any provider nor an alias"#),
        (base + "aliases:\n  a: b\n  b: c\n  c: a\n", "test.yaml:8:3: aliases.a: alias cycle: a -> b -> c -> a"),
        (base + "aliases:\n  x: gpt-4o\n  a: a\n", "test.yaml:9:3: aliases.a: alias cycle: a -> a"),
        (base + "aliases:\n  \"*\": gpt-4o\n", #"test.yaml:8:3: aliases.*: "*" cannot be an alias"#),
        (base + "aliases:\n  fast:\n", "test.yaml:8:8: aliases.fast: expected a string, got an empty value"),
        (base + "aliases: [fast]\n", "test.yaml:7:10: aliases: expected a mapping of alias: model, got a list"),
        (base + "aliases:\n  fast: gpt-4o\n  fast: echo-1\n", #"test.yaml:9:3: aliases.fast: duplicate key "fast" (first defined at line 8)"#),
    ])
    func errors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }
}
