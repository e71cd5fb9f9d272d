import SwitchyardConfig
import SwitchyardCore
import Testing
@testable import SwitchyardGateway

/// Plugin hook series across reloads (each generation gives its plugins new tags) and the
/// model labels a config names.
@Suite struct MetricsExpositionHookTests {
    /// Counts `calls` (and `failures`) of `hook` for the plugin with tag index `plugin`, as a loop does.
    func count(_ counts: HookCounts, plugin: Int, _ hook: HookKind, calls: UInt64, failures: UInt64 = 0) {
        let slot = HookCounts.slot(tag: HookWatch.tag(provider: plugin), hook: hook.rawValue)
        counts.calls[slot] &+= calls
        counts.failures[slot] &+= failures
    }

    func render(_ loops: [HookCounts], pluginNames: [String]) -> String {
        var text = PrometheusText()
        let snapshots = loops.map { LoopMetricsSnapshot(series: [], streamsInFlight: 0, hooks: $0.snapshot()) }
        MetricsExposition(modelNames: ["", "other"], providerNames: ["", "other"], pluginNames: pluginNames).render(snapshots, into: &text)
        return String(decoding: text.bytes, as: UTF8.self)
    }

    @Test func aPluginKeptAcrossReloadsIsOneSeriesPerHook() {
        // Generation 1 watched "openai" and "guard" (tags 0, 1); a reload watched them again (2, 3).
        let names = ["openai", "guard", "openai", "guard"]
        let first = HookCounts(), second = HookCounts()
        count(first, plugin: 0, .prepare, calls: 3, failures: 1)
        count(second, plugin: 2, .prepare, calls: 4)
        count(second, plugin: 2, .end, calls: 4)
        count(first, plugin: 1, .inspect, calls: 2)
        count(second, plugin: 3, .inspect, calls: 5, failures: 2)
        let out = render([first, second], pluginNames: names)
        let calls = out.split(separator: "\n").filter { $0.hasPrefix("switchyard_plugin_calls_total{") }
        #expect(calls == [
            #"switchyard_plugin_calls_total{plugin="guard",hook="inspect"} 7"#,
            #"switchyard_plugin_calls_total{plugin="openai",hook="prepare"} 7"#,
            #"switchyard_plugin_calls_total{plugin="openai",hook="response.end"} 4"#,
        ])
        #expect(out.contains(#"switchyard_plugin_failures_total{plugin="openai",hook="prepare"} 1"# + "\n"))
        #expect(out.contains(#"switchyard_plugin_failures_total{plugin="guard",hook="inspect"} 2"# + "\n"))
    }

    @Test func theSharedLastRowIsOtherOnceMorePluginsThanRowsWereWatched() {
        let counts = HookCounts()
        let last = HookCounts.plugins - 1
        count(counts, plugin: last, .prepare, calls: 1)
        count(counts, plugin: last + 7, .prepare, calls: 2)  // past the rows: shares the last one
        count(counts, plugin: 0, .prepare, calls: 1)
        var names = (0..<HookCounts.plugins + 8).map { "p\($0)" }
        names[0] = "first"
        let out = render([counts], pluginNames: names)
        #expect(out.contains(#"switchyard_plugin_calls_total{plugin="other",hook="prepare"} 3"# + "\n"))
        #expect(out.contains(#"switchyard_plugin_calls_total{plugin="first",hook="prepare"} 1"# + "\n"))
        #expect(!out.contains("p\(last)"))
        // With no more plugins than rows, the last row is that one plugin's.
        let exact = render([counts], pluginNames: Array(names.prefix(HookCounts.plugins)))
        #expect(exact.contains("switchyard_plugin_calls_total{plugin=\"p\(last)\",hook=\"prepare\"} 3\n"))
    }

    @Test func aRowWithNoNameYetIsOther() {
        let counts = HookCounts()
        count(counts, plugin: 3, .generate, calls: 1)
        #expect(render([counts], pluginNames: ["a"]).contains(#"switchyard_plugin_calls_total{plugin="other",hook="generate"} 1"# + "\n"))
    }

    @Test func aModelGroupIsLabelledWithItsName() {
        let registry = MetricLabelRegistry()
        let config = GatewayConfig(
            aliases: ["fast": "chat-group"],
            modelGroups: [ModelGroup(name: "chat-group", strategy: .fallback, location: SourceLocation(file: "t", line: 1, column: 1))],
            sourceName: "t")
        let labels = registry.labels(for: config)
        let id = labels.model("chat-group")
        #expect(id != MetricLabelRegistry.other && id != MetricLabelRegistry.none)
        #expect(registry.modelNames[Int(id)] == "chat-group")
        #expect(labels.model("not-in-config") == MetricLabelRegistry.other)
    }
}
