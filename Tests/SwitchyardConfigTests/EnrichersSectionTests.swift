import Testing

@testable import SwitchyardConfig

@Suite("enrichers section")
struct EnrichersSectionTests {
    /// Two enricher plugins, an enabled and a disabled provider; `enrichers:` last, so an entry
    /// appended to it starts on line 15.
    static let base = """
        plugins:
          - name: usage
            path: /p/libEnricherOpenAI.so
          - name: claude
            path: /p/libEnricherAnthropic.so
          - name: echo
            path: /p/libProviderEcho.so
          - name: openai
            path: /p/libProviderOpenAI.so
            enabled: false
        providers:
          - {name: echo, plugin: echo, models: [echo-1]}
          - {name: openai, plugin: openai, models: [gpt-4o], enabled: false}
        enrichers:

        """

    /// `base` with one flow-style entry on line 15: `  - {plugin: usage, FIELDS}`.
    static func entry(_ fields: String) -> String {
        base + "  - {plugin: usage, \(fields)}\n"
    }

    @Test("an entry with every key")
    func fullEntry() throws {
        let config = try parse(Self.base + """
              - name: echo-usage
                plugin: usage
                providers: [echo]
                deadline: 5ms
                enabled: true
            """)
        #expect(config.enrichers == [
            EnricherEntry(name: "echo-usage", plugin: "usage", providers: ["echo"], deadline: 5_000_000,
                          location: SourceLocation(file: "test.yaml", line: 15, column: 5))
        ])
    }

    @Test("defaults: name = plugin, every provider, 20ms; config order kept")
    func defaults() throws {
        let config = try parse(Self.base + "  - plugin: usage\n  - {plugin: claude, name: , providers: , deadline: 0.5}\n")
        #expect(config.enrichers.map(\.name) == ["usage", "claude"])
        let usage = config.enrichers[0]
        #expect(usage == EnricherEntry(plugin: "usage", location: SourceLocation(file: "test.yaml", line: 15, column: 5)))
        #expect(usage.providers.isEmpty && usage.deadline == 20_000_000)
        #expect(config.enrichers[1].deadline == 500_000_000 && config.enrichers[1].providers.isEmpty)
    }

    @Test("no section and an empty section mean none")
    func emptyForms() throws {
        #expect(try parse(Self.base).enrichers.isEmpty)
        #expect(try parse("").enrichers.isEmpty)
        #expect(try parse("enrichers: []\n").enrichers.isEmpty)
    }

    @Test("disabled entries are checked, then dropped; they may name disabled plugins and providers")
    func disabledDropped() throws {
        let config = try parse(Self.base + """
              - {plugin: usage, enabled: false}
              - {name: other, plugin: openai, providers: [openai], enabled: }
              - {plugin: claude}
            """)
        #expect(config.enrichers.map(\.name) == ["claude"])
        #expect(errorText(Self.base + "  - {plugin: nope, enabled: false}\n") == """
            test.yaml:15:14: enrichers[0].plugin: unknown plugin "nope" (known: usage, claude, echo, openai)
            """)
        #expect(errorText(Self.base + "  - {plugin: usage, enabled: false, deadline: 2s}\n") == """
            test.yaml:15:47: enrichers[0].deadline: must be at most 1s: an enricher's hooks run on the event loop, inline with the traffic
            """)
    }

    @Test("entry errors", arguments: [
        ("enrichers: {}\n", "test.yaml:1:12: enrichers: expected a list, got a mapping"),
        ("enrichers:\n  -\n", "test.yaml:2:4: enrichers[0]: expected an enricher entry (a mapping with at least plugin), got an empty value"),
        ("enrichers:\n  - usage\n", #"test.yaml:2:5: enrichers[0]: expected a mapping, got "usage""#),
        ("enrichers:\n  - name: usage\n", #"test.yaml:2:5: enrichers[0]: missing required key "plugin""#),
        (entry("provider: [echo]"), #"test.yaml:15:21: enrichers[0].provider: unknown key (did you mean "providers"?)"#),
        (entry("applies_to: {providers: [echo]}"), "test.yaml:15:21: enrichers[0].applies_to: unknown key (known keys: name, plugin, providers, deadline, enabled)"),
        (entry("name: Usage"), #"test.yaml:15:27: enrichers[0].name: invalid name "Usage" (use lower-case letters, digits, "_" and "-")"#),
        (entry("providers: echo"), #"test.yaml:15:32: enrichers[0].providers: expected a list, got "echo""#),
        (entry("providers: [echo, echo]"), #"test.yaml:15:39: enrichers[0].providers[1]: provider "echo" is listed twice"#),
        (entry("providers: [\"e cho\"]"), #"test.yaml:15:33: enrichers[0].providers[0]: a provider name must not contain spaces or control characters, got "e cho""#),
        (entry("deadline: 0"), "test.yaml:15:31: enrichers[0].deadline: must be greater than zero"),
        (entry("deadline: 0ms"), "test.yaml:15:31: enrichers[0].deadline: must be greater than zero"),
        (entry("deadline: 1001ms"), "test.yaml:15:31: enrichers[0].deadline: must be at most 1s: an enricher's hooks run on the event loop, inline with the traffic"),
        (entry("deadline: soon"), #"test.yaml:15:31: enrichers[0].deadline: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "soon""#),
        (entry("enabled: yes"), #"test.yaml:15:30: enrichers[0].enabled: expected true or false (an empty value means false), got "yes""#),
    ])
    func entryErrors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }

    @Test("the largest deadline is one second")
    func largestDeadline() throws {
        #expect(try parse(Self.entry("deadline: 1s")).enrichers.first?.deadline == 1_000_000_000)
    }

    @Test("names are unique; a name left out is the plugin's", arguments: [
        (base + "  - {plugin: usage}\n  - {plugin: usage, providers: [echo]}\n",
         #"test.yaml:16:14: enrichers[1].plugin: duplicate enricher name "usage" (first used at line 15); an enricher's name defaults to its plugin: give each entry using plugin "usage" its own name"#),
        (base + "  - {name: meter, plugin: usage}\n  - {name: meter, plugin: claude}\n",
         #"test.yaml:16:12: enrichers[1].name: duplicate enricher name "meter" (first used at line 15)"#),
        (base + "  - {plugin: claude}\n  - {name: claude, plugin: usage}\n",
         #"test.yaml:16:12: enrichers[1].name: duplicate enricher name "claude" (first used at line 15)"#),
    ])
    func duplicateNames(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }

    @Test("two entries may share a plugin under names of their own")
    func sharedPlugin() throws {
        let config = try parse(Self.base + "  - {name: a, plugin: usage}\n  - {name: b, plugin: usage, providers: [echo]}\n")
        #expect(config.enrichers.map(\.plugin) == ["usage", "usage"])
    }

    @Test("references to other sections", arguments: [
        (base + "  - {plugin: usag}\n", #"test.yaml:15:14: enrichers[0].plugin: unknown plugin "usag" (known: usage, claude, echo, openai)"#),
        ("enrichers:\n  - {plugin: usage}\n", #"test.yaml:2:14: enrichers[0].plugin: unknown plugin "usage" (no plugins are configured)"#),
        (base + "  - {plugin: openai}\n",
         #"test.yaml:15:14: enrichers[0].plugin: plugin "openai" is disabled (line 8); disable this enricher too or enable the plugin"#),
        (entry("providers: [ecoh]"),
         #"test.yaml:15:33: enrichers[0].providers[0]: unknown provider "ecoh" (did you mean "echo"? known: echo, openai)"#),
        (entry("providers: [anthropic]"),
         #"test.yaml:15:33: enrichers[0].providers[0]: unknown provider "anthropic" (known: echo, openai)"#),
        ("plugins: [{name: usage, path: /p/x.so}]\nenrichers:\n  - {plugin: usage, providers: [echo]}\n",
         #"test.yaml:3:33: enrichers[0].providers[0]: unknown provider "echo" (no providers are configured)"#),
        (entry("providers: [echo, openai]"),
         #"test.yaml:15:39: enrichers[0].providers[1]: provider "openai" is disabled (line 13); disable this enricher too or enable the provider"#),
    ])
    func references(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }
}
