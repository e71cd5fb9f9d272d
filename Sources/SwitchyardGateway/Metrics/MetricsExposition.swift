import SwitchyardPlugins
/// What one loop's metrics held when a scrape asked: copied on that loop, then carried to the
/// scraping loop (plain values, so they may cross threads).
struct LoopMetricsSnapshot: Sendable {
    /// Used slots of the loop's `MetricShard`, `MetricSlot.words` each.
    var series: [UInt64]
    var streamsInFlight: Int
    var hooks: [HookCount]
}

/// Renders the merged snapshots of every loop as the Prometheus text exposition
/// (docs/metrics.md lists each family). Runs on the scraping loop, never on the request path.
struct MetricsExposition {
    let modelNames: [String]
    let providerNames: [String]
    /// Watched plugins' config names, indexed as their `HookWatch` tag.
    let pluginNames: [String]

    func render(_ snapshots: [LoopMetricsSnapshot], into text: inout PrometheusText) {
        let series = Self.merge(snapshots.map(\.series))
        let keys = series.keys.sorted()
        text.family("switchyard_requests_total", .counter, help: "Requests answered, by route, resolved model, provider of the last attempt and HTTP status.")
        for key in keys { text.sample("switchyard_requests_total", labels(key), series[key]![MetricSlot.requests]) }

        // Errors: the requests answered with a status of 400 or more (a stream that failed after
        // its head counts with its failure's status). Summed here, so recording pays nothing;
        // the overflow series has no status, so its errors are not known.
        let byTarget = Self.merge(series, by: Self.targetKey)
        let targets = byTarget.keys.sorted()
        var errors: [UInt64: UInt64] = [:]
        for key in keys where key != MetricSeriesKey.overflow && MetricSeriesKey.status(key) >= 400 {
            errors[Self.targetKey(key), default: 0] &+= series[key]![MetricSlot.requests]
        }
        text.family("switchyard_request_errors_total", .counter, help: "Requests answered with an HTTP status of 400 or more, by route, model and provider.")
        for key in targets { text.sample("switchyard_request_errors_total", labels(key, status: false), errors[key] ?? 0) }

        counter(&text, "switchyard_upstream_attempts_total", "Upstream tries (failovers included) of the requests answered.", MetricSlot.attempts, byTarget, targets)
        counter(&text, "switchyard_prompt_tokens_total", "Prompt (input) tokens the providers reported.", MetricSlot.promptTokens, byTarget, targets)
        counter(&text, "switchyard_completion_tokens_total", "Completion (output) tokens the providers reported.", MetricSlot.completionTokens, byTarget, targets)
        counter(&text, "switchyard_cached_prompt_tokens_total", "Prompt tokens served from the provider's prompt cache.", MetricSlot.cachedTokens, byTarget, targets)
        counter(&text, "switchyard_reasoning_tokens_total", "Completion tokens spent on reasoning.", MetricSlot.reasoningTokens, byTarget, targets)

        histogram(&text, "switchyard_request_duration_seconds", "Time from the request's head to its last byte sent.", MetricSlot.duration, byTarget, targets)
        histogram(&text, "switchyard_upstream_duration_seconds", "Time spent on upstream exchanges, all attempts of a request together (requests that made none are not observed).", MetricSlot.upstream, byTarget, targets)
        histogram(&text, "switchyard_time_to_first_token_seconds", "Streams: time from the request's head to the stream's first bytes sent.", MetricSlot.firstContent, byTarget, targets)

        text.family("switchyard_streams_in_flight", .gauge, help: "Streamed responses started and not yet ended.")
        text.sample("switchyard_streams_in_flight", [], UInt64(max(0, snapshots.reduce(0) { $0 + $1.streamsInFlight })))

        let hooks = Self.hookSeries(snapshots.flatMap(\.hooks), pluginNames: pluginNames)
        text.family("switchyard_plugin_calls_total", .counter, help: "Plugin hook calls made on the event loops, by plugin (its config name) and hook.")
        for row in hooks { text.sample("switchyard_plugin_calls_total", [("plugin", row.plugin), ("hook", row.hook)], row.calls) }
        text.family("switchyard_plugin_failures_total", .counter, help: "Plugin hook calls that returned an error, by plugin and hook.")
        for row in hooks { text.sample("switchyard_plugin_failures_total", [("plugin", row.plugin), ("hook", row.hook)], row.failures) }
        Self.renderIsolation(into: &text)
    }

    /// Isolated plugins' runners (docs/plugin-isolation.md); no family when none was ever loaded.
    static func renderIsolation(into text: inout PrometheusText) {
        let runners = IsolationStats.snapshot
        guard !runners.isEmpty else { return }
        text.family("switchyard_plugin_runner_crashes_total", .counter, help: "Ends of isolated plugins' runner processes not asked for (crashes, kills at a hook timeout), by plugin entry.")
        for (name, entry) in runners { text.sample("switchyard_plugin_runner_crashes_total", [("plugin", name)], UInt64(entry.crashes)) }
        text.family("switchyard_plugin_runner_timeouts_total", .counter, help: "Runners killed because a hook did not return within isolation_limits.hook_timeout, by plugin entry.")
        for (name, entry) in runners { text.sample("switchyard_plugin_runner_timeouts_total", [("plugin", name)], UInt64(entry.timeouts)) }
        text.family("switchyard_plugin_runner_restarts_total", .counter, help: "Runner restarts after an end, by plugin entry.")
        for (name, entry) in runners { text.sample("switchyard_plugin_runner_restarts_total", [("plugin", name)], UInt64(entry.restarts)) }
        text.family("switchyard_plugin_runner_disabled", .gauge, help: "1 while an isolated plugin is disabled by its crash-loop limit (until a reload).")
        for (name, entry) in runners { text.sample("switchyard_plugin_runner_disabled", [("plugin", name)], UInt64(entry.disabled ? 1 : 0)) }
    }

    private func counter(_ text: inout PrometheusText, _ name: String, _ help: String, _ word: Int, _ series: [UInt64: [UInt64]], _ keys: [UInt64]) {
        text.family(name, .counter, help: help)
        for key in keys { text.sample(name, labels(key, status: false), series[key]![word]) }
    }

    private func histogram(_ text: inout PrometheusText, _ name: String, _ help: String, _ offset: Int, _ series: [UInt64: [UInt64]], _ keys: [UInt64]) {
        text.family(name, .histogram, help: help)
        for key in keys {
            let words = series[key]!
            let counts = Array(words[offset..<offset + MetricBuckets.count])
            let sum = Double(words[offset + MetricSlot.histogramSum]) / 1_000_000_000
            text.histogram(name, labels(key, status: false), bounds: MetricBuckets.seconds, counts: counts, sum: sum)
        }
    }

    private func labels(_ key: UInt64, status: Bool = true) -> [(String, String)] {
        var labels: [(String, String)]
        if key == MetricSeriesKey.overflow || key == Self.targetKey(MetricSeriesKey.overflow) {
            labels = [("route", "overflow"), ("model", "overflow"), ("provider", "overflow")]
            if status { labels.append(("status", "overflow")) }
            return labels
        }
        labels = [
            ("route", Self.name(MetricSeriesKey.route(key), in: MetricRoute.names)),
            ("model", Self.name(MetricSeriesKey.model(key), in: modelNames)),
            ("provider", Self.name(MetricSeriesKey.provider(key), in: providerNames)),
        ]
        if status { labels.append(("status", String(MetricSeriesKey.status(key)))) }
        return labels
    }

    /// One exposed series of plugin hook counts.
    struct HookSeries: Equatable {
        let plugin: String
        let hook: String
        var calls: UInt64
        var failures: UInt64
    }

    /// The loops' hook rows summed by (plugin name, hook), sorted by name then hook. By name, not
    /// by row: every generation gives its plugins new tags (rows), so a plugin kept across
    /// reloads has a row per generation and must still be one series. The last row is shared by
    /// every tag past it (`HookCounts.slot`): once more plugins than rows were watched it holds
    /// several, and is "other".
    static func hookSeries(_ counts: [HookCount], pluginNames: [String]) -> [HookSeries] {
        let sharedRow = HookCounts.plugins - 1
        var merged: [String: [Int: HookSeries]] = [:]
        for count in counts {
            let shared = count.plugin >= sharedRow && pluginNames.count > HookCounts.plugins
            let plugin = !shared && count.plugin < pluginNames.count ? pluginNames[count.plugin] : "other"
            let hook = HookKind(rawValue: UInt64(count.hook))?.name ?? "unknown"
            merged[plugin, default: [:]][count.hook, default: HookSeries(plugin: plugin, hook: hook, calls: 0, failures: 0)].calls &+= count.calls
            merged[plugin]![count.hook]!.failures &+= count.failures
        }
        return merged.keys.sorted().flatMap { plugin in merged[plugin]!.sorted { $0.key < $1.key }.map(\.value) }
    }

    private static func name(_ id: Int, in names: [String]) -> String { id < names.count ? names[id] : "other" }

    /// A series' key without its status: the series of the histograms and per-target counters.
    static func targetKey(_ key: UInt64) -> UInt64 { key | 0xFFFF }

    /// The loops' series summed by key.
    static func merge(_ loops: [[UInt64]]) -> [UInt64: [UInt64]] {
        var merged: [UInt64: [UInt64]] = [:]
        for words in loops {
            var offset = 0
            while offset + MetricSlot.words <= words.count {
                let slot = words[offset..<offset + MetricSlot.words]
                add(slot, to: &merged, as: slot.first!)
                offset += MetricSlot.words
            }
        }
        return merged
    }

    /// `series` summed by `group` of their keys.
    static func merge(_ series: [UInt64: [UInt64]], by group: (UInt64) -> UInt64) -> [UInt64: [UInt64]] {
        var merged: [UInt64: [UInt64]] = [:]
        for (key, words) in series { add(words[...], to: &merged, as: group(key)) }
        return merged
    }

    private static func add(_ words: ArraySlice<UInt64>, to merged: inout [UInt64: [UInt64]], as key: UInt64) {
        if merged[key] == nil {
            var fresh = Array(words)
            fresh[MetricSlot.key] = key
            merged[key] = fresh
            return
        }
        var index = 1
        for value in words.dropFirst() {
            merged[key]![index] &+= value
            index += 1
        }
    }
}
