import Testing

@testable import SwitchyardConfig

@Suite("guardrails section")
struct GuardrailsSectionTests {
    /// Two guardrail plugins, an enabled and a disabled provider, an alias; `guardrails:` last,
    /// so an entry appended to it starts on line 17.
    static let base = """
        plugins:
          - name: pii
            path: /p/libGuardrailPII.so
          - name: judge
            path: /p/libGuardrailJudge.so
          - name: echo
            path: /p/libProviderEcho.so
          - name: openai
            path: /p/libProviderOpenAI.so
            enabled: false
        providers:
          - {name: echo, plugin: echo, models: [echo-1]}
          - {name: openai, plugin: openai, models: [gpt-4o], enabled: false}
        aliases:
          default: echo-1
        guardrails:

        """

    /// `base` with one flow-style entry on line 17: `  - {plugin: pii, FIELDS}`.
    static func entry(_ fields: String) -> String {
        base + "  - {plugin: pii, \(fields)}\n"
    }

    @Test("an entry with every key")
    func fullEntry() throws {
        let config = try parse(Self.base + """
              - name: pii-strict
                plugin: pii
                phases: [request, response, stream]
                applies_to:
                  models: [echo-1, default]
                  providers: [echo]
                  routes: [chat_completions, messages]
                order: 10
                on_error: fail_open
                deadline: 500ms
                enabled: true
            """)
        #expect(config.guardrails == [
            GuardrailEntry(
                name: "pii-strict", plugin: "pii", phases: 7, models: ["echo-1", "default"], providers: ["echo"],
                routes: ["chat_completions", "messages"], order: 10, failOpen: true, deadline: 500_000_000,
                location: SourceLocation(file: "test.yaml", line: 17, column: 5))
        ])
    }

    @Test("defaults: name = plugin, every phase, all traffic, order 0, fail_closed, 1s")
    func defaults() throws {
        let config = try parse(Self.base + "  - plugin: pii\n  - {plugin: judge, phases: , applies_to: , order: -5, deadline: 1.5}\n")
        #expect(config.guardrails.count == 2)
        let pii = config.guardrails[0]
        #expect(pii.name == "pii")
        #expect(pii.phases == nil)
        #expect(pii.models.isEmpty && pii.providers.isEmpty && pii.routes.isEmpty)
        #expect(pii.order == 0)
        #expect(!pii.failOpen)
        #expect(pii.deadline == 1_000_000_000)
        #expect(pii.location == SourceLocation(file: "test.yaml", line: 17, column: 5))
        #expect(pii == GuardrailEntry(plugin: "pii", location: pii.location))
        let judge = config.guardrails[1]
        #expect(judge.phases == nil)
        #expect(judge.order == -5)
        #expect(judge.deadline == 1_500_000_000)
    }

    @Test("phase names become SY_PHASE_* bits", arguments: [
        ("[request]", UInt32(1)), ("[response]", 2), ("[stream]", 4), ("[stream, request]", 5), ("[response, stream]", 6),
    ])
    func phaseBits(phases: String, bits: UInt32) throws {
        let config = try parse(Self.entry("phases: \(phases)"))
        #expect(config.guardrails.first?.phases == bits)
    }

    @Test("no section, an empty section, and an empty applies_to list all mean none or all")
    func emptyForms() throws {
        #expect(try parse(Self.base).guardrails.isEmpty)
        #expect(try parse(Self.base + "  - {plugin: pii, applies_to: {models: [], providers: , routes: []}}\n").guardrails.first?.routes == [])
        #expect(try parse("").guardrails.isEmpty)
    }

    @Test("disabled entries are checked, then dropped; they may name disabled plugins and providers")
    func disabledDropped() throws {
        let config = try parse(Self.base + """
              - {plugin: pii, enabled: false}
              - {name: other, plugin: openai, applies_to: {providers: [openai]}, enabled: }
              - {plugin: judge, order: 1}
            """)
        #expect(config.guardrails.map(\.name) == ["judge"])
        #expect(errorText(Self.base + "  - {plugin: pii, enabled: false, phases: [chunk]}\n") == """
            test.yaml:17:44: guardrails[0].phases[0]: unknown phase "chunk" (did you mean "stream"?) (phases: request, response, stream)
            """)
        #expect(errorText(Self.base + "  - {plugin: nope, enabled: false}\n") == """
            test.yaml:17:14: guardrails[0].plugin: unknown plugin "nope" (known: pii, judge, echo, openai)
            """)
    }

    @Test("models are checked only when no provider serves any model")
    func wildcardProviderAcceptsAnyModel() throws {
        let yaml = Self.base.replacingOccurrences(of: "models: [gpt-4o]", with: "models: [\"*\"]") + "  - {plugin: pii, applies_to: {models: [whatever]}}\n"
        #expect(try parse(yaml).guardrails.first?.models == ["whatever"])
    }

    @Test("entry errors", arguments: [
        ("guardrails: {}\n", "test.yaml:1:13: guardrails: expected a list, got a mapping"),
        ("guardrails:\n  -\n", "test.yaml:2:4: guardrails[0]: expected a guardrail entry (a mapping with at least plugin), got an empty value"),
        ("guardrails:\n  - pii\n", #"test.yaml:2:5: guardrails[0]: expected a mapping, got "pii""#),
        ("guardrails:\n  - name: pii\n", #"test.yaml:2:5: guardrails[0]: missing required key "plugin""#),
        (entry("phase: [request]"), #"test.yaml:17:19: guardrails[0].phase: unknown key (did you mean "phases"?)"#),
        (entry("timeout: 1s"), "test.yaml:17:19: guardrails[0].timeout: unknown key (known keys: name, plugin, phases, applies_to, order, on_error, deadline, enabled)"),
        (entry("name: PII"), #"test.yaml:17:25: guardrails[0].name: invalid name "PII" (use lower-case letters, digits, "_" and "-")"#),
        (entry("phases: [request, chunk]"), #"test.yaml:17:37: guardrails[0].phases[1]: unknown phase "chunk" (did you mean "stream"?) (phases: request, response, stream)"#),
        (entry("phases: [reqest]"), #"test.yaml:17:28: guardrails[0].phases[0]: unknown phase "reqest" (did you mean "request"?) (phases: request, response, stream)"#),
        (entry("phases: [input]"), #"test.yaml:17:28: guardrails[0].phases[0]: unknown phase "input" (phases: request, response, stream)"#),
        (entry("phases: [request, request]"), #"test.yaml:17:37: guardrails[0].phases[1]: phase "request" is listed twice"#),
        (entry("phases: []"), "test.yaml:17:27: guardrails[0].phases: list at least one phase (request, response, stream), or leave phases out for every phase the plugin declares"),
        (entry("phases: request"), #"test.yaml:17:27: guardrails[0].phases: expected a list, got "request""#),
        (entry("applies_to: [echo]"), "test.yaml:17:31: guardrails[0].applies_to: expected a mapping, got a list"),
        (entry("applies_to: {model: [echo-1]}"), #"test.yaml:17:32: guardrails[0].applies_to.model: unknown key (did you mean "models"?)"#),
        (entry("applies_to: {routes: [chat]}"), #"test.yaml:17:41: guardrails[0].applies_to.routes[0]: unknown route "chat" (routes: chat_completions (/v1/chat/completions), responses (/v1/responses), messages (/v1/messages), embeddings (/v1/embeddings))"#),
        (entry("applies_to: {routes: [message]}"), #"test.yaml:17:41: guardrails[0].applies_to.routes[0]: unknown route "message" (did you mean "messages"?) (routes: chat_completions (/v1/chat/completions), responses (/v1/responses), messages (/v1/messages), embeddings (/v1/embeddings))"#),
        (entry("applies_to: {routes: [/v1/chat/completions]}"), #"test.yaml:17:41: guardrails[0].applies_to.routes[0]: unknown route "/v1/chat/completions" (did you mean "chat_completions"?) (routes: chat_completions (/v1/chat/completions), responses (/v1/responses), messages (/v1/messages), embeddings (/v1/embeddings))"#),
        (entry("applies_to: {routes: [messages, embeddings, messages]}"), #"test.yaml:17:63: guardrails[0].applies_to.routes[2]: route "messages" is listed twice"#),
        (entry("applies_to: {models: [echo-1, echo-1]}"), #"test.yaml:17:49: guardrails[0].applies_to.models[1]: model "echo-1" is listed twice"#),
        (entry("applies_to: {models: [\"a b\"]}"), #"test.yaml:17:41: guardrails[0].applies_to.models[0]: a model name must not contain spaces or control characters, got "a b""#),
        (entry("applies_to: {providers: [echo, echo]}"), #"test.yaml:17:50: guardrails[0].applies_to.providers[1]: provider "echo" is listed twice"#),
        (entry("order: high"), #"test.yaml:17:26: guardrails[0].order: expected an integer from -1000000 to 1000000, got "high""#),
        (entry("order: 2000000"), "test.yaml:17:26: guardrails[0].order: 2000000 is out of range (-1000000 to 1000000)"),
        (entry("on_error: fail-open"), #"test.yaml:17:29: guardrails[0].on_error: expected fail_closed or fail_open, got "fail-open" (did you mean "fail_open"?)"#),
        (entry("on_error: ignore"), #"test.yaml:17:29: guardrails[0].on_error: expected fail_closed or fail_open, got "ignore""#),
        (entry("deadline: 0"), "test.yaml:17:29: guardrails[0].deadline: must be greater than zero"),
        (entry("deadline: 0ms"), "test.yaml:17:29: guardrails[0].deadline: must be greater than zero"),
        (entry("deadline: 11m"), "test.yaml:17:29: guardrails[0].deadline: must be at most 10m: the request waits while a guardrail runs"),
        (entry("deadline: soon"), #"test.yaml:17:29: guardrails[0].deadline: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "soon""#),
        (entry("enabled: yes"), #"test.yaml:17:28: guardrails[0].enabled: expected true or false (an empty value means false), got "yes""#),
    ])
    func entryErrors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }

    @Test("the largest deadline is 10 minutes")
    func largestDeadline() throws {
        #expect(try parse(Self.entry("deadline: 10m")).guardrails.first?.deadline == 600_000_000_000)
    }

    @Test("names are unique; a name left out is the plugin's", arguments: [
        (base + "  - {plugin: pii}\n  - {plugin: pii}\n",
         #"test.yaml:18:14: guardrails[1].plugin: duplicate guardrail name "pii" (first used at line 17); a guardrail's name defaults to its plugin: give each entry using plugin "pii" its own name"#),
        (base + "  - {name: strict, plugin: pii}\n  - {name: strict, plugin: judge}\n",
         #"test.yaml:18:12: guardrails[1].name: duplicate guardrail name "strict" (first used at line 17)"#),
        (base + "  - {plugin: judge}\n  - {name: judge, plugin: pii}\n",
         #"test.yaml:18:12: guardrails[1].name: duplicate guardrail name "judge" (first used at line 17)"#),
    ])
    func duplicateNames(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }

    @Test("references to other sections", arguments: [
        (base + "  - {plugin: pi}\n", #"test.yaml:17:14: guardrails[0].plugin: unknown plugin "pi" (known: pii, judge, echo, openai)"#),
        ("guardrails:\n  - {plugin: pii}\n", #"test.yaml:2:14: guardrails[0].plugin: unknown plugin "pii" (no plugins are configured)"#),
        (base + "  - {plugin: openai}\n",
         #"test.yaml:17:14: guardrails[0].plugin: plugin "openai" is disabled (line 8); disable this guardrail too or enable the plugin"#),
        (entry("applies_to: {providers: [ecoh]}"),
         #"test.yaml:17:44: guardrails[0].applies_to.providers[0]: unknown provider "ecoh" (did you mean "echo"? known: echo, openai)"#),
        (entry("applies_to: {providers: [anthropic]}"),
         #"test.yaml:17:44: guardrails[0].applies_to.providers[0]: unknown provider "anthropic" (known: echo, openai)"#),
        ("plugins: [{name: pii, path: /p/x.so}]\nguardrails:\n  - {plugin: pii, applies_to: {providers: [echo]}}\n",
         #"test.yaml:3:44: guardrails[0].applies_to.providers[0]: unknown provider "echo" (no providers are configured)"#),
        (entry("applies_to: {providers: [echo, openai]}"),
         #"test.yaml:17:50: guardrails[0].applies_to.providers[1]: provider "openai" is disabled (line 13); disable this guardrail too or enable the provider"#),
        (entry("applies_to: {models: [echo-2]}"),
         #"test.yaml:17:41: guardrails[0].applies_to.models[0]: model "echo-2" is neither a model of any provider nor an alias (did you mean "echo-1"?)"#),
        (entry("applies_to: {models: [claude]}"),
         #"test.yaml:17:41: guardrails[0].applies_to.models[0]: model "claude" is neither a model of any provider nor an alias"#),
    ])
    func references(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }

    @Test("models may name aliases and models of disabled providers")
    func modelsKnownAnywhere() throws {
        let config = try parse(Self.entry("applies_to: {models: [default, gpt-4o, echo-1]}"))
        #expect(config.guardrails.first?.models == ["default", "gpt-4o", "echo-1"])
    }
}
