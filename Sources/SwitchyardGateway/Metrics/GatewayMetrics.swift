import SwitchyardConfig
import Synchronization

/// Something outside the per-loop shards with metrics of its own (the circuit breakers' state
/// per target, say): a scrape calls it, on the scraping loop, to append whole families (HELP,
/// TYPE and samples) after the gateway's own. It must answer quickly and without blocking on a
/// loop; it reads its own state under its own synchronization.
public protocol MetricsGaugeSource: AnyObject, Sendable {
    func appendMetrics(to text: inout PrometheusText)
}

/// The process-level part of the metrics: the append-only label names, the names of the
/// watched plugins, and the gauge sources a scrape adds. The per-loop shards hold the numbers
/// (`LoopContext.metrics`); a config reload swaps the request path's `MetricLabels` snapshot
/// (`labels(for:)`), appends the names of the plugins it watches (`appendPluginNames`), and keeps
/// the shards.
///
/// Threading: thread-safe (mutexes); nothing here is touched per request.
public final class GatewayMetrics: Sendable {
    public let registry = MetricLabelRegistry()
    private let plugins = Mutex<[String]>([])
    private let sources = Mutex<[any MetricsGaugeSource]>([])

    public init() {}

    /// The request path's label ids for `config` (see `MetricLabelRegistry.labels(for:)`).
    public func labels(for config: GatewayConfig) -> MetricLabels { registry.labels(for: config) }

    /// Names the next watched plugins (config names), in the order of their `HookWatch` tags:
    /// tags are handed out append-only, so a reload's new plugins append theirs.
    public func appendPluginNames(_ names: [String]) { plugins.withLock { $0 += names } }

    /// Adds a source of gauge families to every scrape (the target-health book's breakers,
    /// registered once by Gateway.init: it outlives generations).
    public func register(_ source: any MetricsGaugeSource) { sources.withLock { $0.append(source) } }

    /// The exposition of the loops' snapshots and every gauge source's families.
    func render(_ snapshots: [LoopMetricsSnapshot]) -> [UInt8] {
        var text = PrometheusText()
        let exposition = MetricsExposition(
            modelNames: registry.modelNames, providerNames: registry.providerNames, pluginNames: plugins.withLock { $0 })
        exposition.render(snapshots, into: &text)
        for source in sources.withLock({ $0 }) { source.appendMetrics(to: &text) }
        return text.bytes
    }
}
