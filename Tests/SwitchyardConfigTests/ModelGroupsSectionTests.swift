import SwitchyardCore
import Testing

@testable import SwitchyardConfig

@Suite("model_groups, pricing, model names and breakers")
struct ModelGroupsSectionTests {
    static let head = """
        plugins:
          - {name: p, path: /x.so}
        providers:
          - {name: a, plugin: p, models: [gpt-4o, {fast: gpt-4o-mini-2024-07-18}]}
          - {name: b, plugin: p, models: [gpt-4o], breaker: off}
          - {name: c, plugin: p, models: [gpt-4o], enabled: false, breaker: {consecutive_failures: 2, cool_down: 5s, half_open_probes: 2}}

        """

    @Test func everyStrategyParses() throws {
        let config = try parse(Self.head + """
            model_groups:
              w: {strategy: weighted, targets: [{provider: a, model: gpt-4o, weight: 3}, {provider: b, model: gpt-4o}]}
              l: {strategy: least_latency, exploration: 0.1, targets: [{provider: a, model: gpt-4o}, {provider: c, model: gpt-4o}]}
              k: {strategy: cost, targets: [{provider: a, model: fast}]}
              s: {strategy: single, targets: [{provider: a, model: gpt-4o}]}
              cond:
                strategy: conditional
                rules: [{when: {header: {X-Tier: premium}, field: {temperature: 0, user: "0"}, metadata: {team: a}}, targets: [{provider: a, model: gpt-4o}]}]
                default: [{provider: b, model: gpt-4o}]
              text:
                strategy: content
                rules: [{regex: "(?i)\\\\bsql\\\\b", targets: [{provider: a, model: gpt-4o}]}, {keywords: [poem], targets: [{provider: b, model: gpt-4o}]}]
              trial:
                strategy: ab
                sticky: header:X-Session-ID
                variants: [{name: x, weight: 90, targets: [{provider: a, model: gpt-4o}]}, {name: y, weight: 10, targets: [{provider: b, model: gpt-4o}]}]
            aliases: {chat: w}
            pricing: {currency: EUR, models: {gpt-4o-mini-2024-07-18: {input: 0.15, output: 0.6, cached_input: 0.075, reasoning: 0.6}}}
            """)
        #expect(config.modelGroups.map(\.name) == ["w", "l", "k", "s", "cond", "text", "trial"])
        #expect(config.modelGroups[0].targets.map(\.weight) == [3, 1])
        #expect(config.modelGroups[1].targets.count == 1)  // c is disabled
        #expect(config.modelGroups[1].exploration == 0.1)
        let rule = config.modelGroups[4].rules[0]
        #expect(rule.headers.map(\.name) == ["x-tier"])
        #expect(rule.fields.map(\.value) == [.number(0), .string("0")])
        #expect(config.modelGroups[5].rules[0].pattern?.source == #"(?i)\bsql\b"#)
        #expect(config.modelGroups[6].sticky == .header("x-session-id"))
        #expect(config.aliases["chat"] == "w")
        #expect(config.pricing.currency == "EUR" && config.pricing.models["gpt-4o-mini-2024-07-18"]?.cachedInput == 0.075)
        #expect(config.providers[0].upstreamModel(for: "fast") == "gpt-4o-mini-2024-07-18")
        #expect(config.providers[0].models == ["gpt-4o", "fast"])
        #expect(config.providers[0].breaker == BreakerSettings())
        #expect(config.providers[1].breaker == nil)
    }

    @Test(arguments: [
        ("providers:\n  - {name: a, plugin: p, models: [{x: y, z: w}]}", "4:", "one key"),
        ("providers:\n  - {name: a, plugin: p, models: [{\"*\": y}]}", "4:", "cannot be mapped"),
        ("providers:\n  - {name: a, plugin: p, models: [[x]]}", "4:", "expected a model name"),
        ("providers:\n  - {name: a, plugin: p, models: [x], breaker: sometimes}", "4:", "expected off, on"),
        ("providers:\n  - {name: a, plugin: p, models: [x], breaker: {failure_rate: 2}}", "4:", "out of range"),
        ("providers:\n  - {name: a, plugin: p, models: [x], breaker: {cool_down: 10s, max_cool_down: 5s}}", "4:", "at least cool_down"),
        ("model_groups:\n  g: {strategy: fastest, targets: [a]}", "7:", "unknown strategy"),
        ("model_groups:\n  g: {strategy: single, targets: [{provider: a, model: gpt-4o}, {provider: b, model: gpt-4o}]}", "7:", "exactly one target"),
        ("model_groups:\n  g: {strategy: fallback, targets: [{provider: a, model: gpt-4o, weight: 2}]}", "7:", "weight applies to strategy weighted only"),
        ("model_groups:\n  g: {strategy: weighted, rules: []}", "7:", "does not apply to strategy weighted"),
        ("model_groups:\n  g: {strategy: fallback, targets: [{provider: nope, model: gpt-4o}]}", "7:", "unknown provider \"nope\""),
        ("model_groups:\n  g: {strategy: fallback, targets: [{provider: b, model: fast}]}", "7:", "does not serve model \"fast\""),
        ("model_groups:\n  gpt-4o: {strategy: fallback, targets: [{provider: b, model: gpt-4o}]}", "7:", "has the name of a model"),
        ("model_groups:\n  g: {strategy: content, rules: [{regex: \"(unclosed\", targets: [{provider: a, model: gpt-4o}]}]}", "7:", "invalid regex"),
        ("model_groups:\n  g: {strategy: content, rules: [{targets: [{provider: a, model: gpt-4o}]}]}", "7:", "needs a regex or keywords"),
        ("model_groups:\n  g: {strategy: conditional, rules: [{when: {}, targets: [{provider: a, model: gpt-4o}]}]}", "7:", "at least one condition"),
        ("model_groups:\n  g: {strategy: ab, sticky: cookie, variants: [{name: x, weight: 1, targets: [{provider: a, model: gpt-4o}]}]}", "7:", "sticky: key"),
        ("model_groups:\n  g: {strategy: ab, variants: [{name: x, weight: 0, targets: [{provider: a, model: gpt-4o}]}]}", "7:", "weight above 0"),
        ("model_groups:\n  g: {strategy: cost, targets: [{provider: b, model: gpt-4o}]}", "7:", "needs a price"),
        ("pricing: {models: {gpt-4o: {input: -1, output: 2}}}", "6:", "out of range"),
        ("pricing: {models: {gpt-4o: {input: 1}}}", "6:", "missing required key \"output\""),
        ("pricing: {currency: dollars}", "6:", "three-letter currency"),
    ])
    func badInputIsAnErrorWithItsLine(_ yaml: String, line: String, message: String) {
        let head = "plugins:\n  - {name: p, path: /x.so}\n" + (yaml.hasPrefix("providers:") ? "" : "providers:\n  - {name: a, plugin: p, models: [gpt-4o, {fast: gpt-4o-mini}]}\n  - {name: b, plugin: p, models: [gpt-4o]}\n")
        let text = errorText(head + yaml) ?? "(parsed)"
        #expect(text.contains(message), "\(text)")
        #expect(text.contains("test.yaml:\(line)"), "\(text)")
    }
}

extension ModelGroupsSectionTests {
    @Test func aGuardrailMayBeScopedToAGroup() throws {
        let config = try parse("""
            plugins:
              - {name: p, path: /x.so}
            providers:
              - {name: a, plugin: p, models: [gpt-4o]}
            model_groups:
              chat: {strategy: fallback, targets: [{provider: a, model: gpt-4o}]}
            guardrails:
              - {name: g, plugin: p, applies_to: {models: [chat]}}
            """)
        #expect(config.guardrails.first?.models == ["chat"])
    }
}
