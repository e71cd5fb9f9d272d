import SwitchyardHTTP
import SwitchyardPosix

/// `GET /metrics`: asks every event loop for a snapshot of its metrics, on that loop (each
/// loop's shard is its own; nothing reads another loop's memory), and answers once all have
/// replied. Nothing waits: each reply is a task queued back to the scraping loop, which counts
/// them (its own loop's included), so a scrape never blocks a loop and cannot deadlock.
///
/// Independent of where it is routed: the responder decides who may scrape (the main listener
/// without a key by default, like /health).
///
/// Threading: `scrape` runs on the request's loop; the collection it starts is confined to that loop.
final class MetricsEndpoint: @unchecked Sendable {
    let metrics: GatewayMetrics
    /// Every loop's context; set before the servers start and read-only afterwards.
    var contexts: [LoopContext] = []

    init(metrics: GatewayMetrics) {
        self.metrics = metrics
    }

    func scrape(writer: ResponseWriter) {
        let collection = UncheckedSendable(MetricsCollection(expected: contexts.count, writer: writer, metrics: metrics))
        let home = writer.loop
        for context in contexts {
            let loop = UncheckedSendable(context)
            context.upstream.loop.execute {
                let snapshot = loop.value.metricsSnapshot()
                home.execute { collection.value.add(snapshot) }
            }
        }
    }
}

/// The replies of one scrape so far. Confined to the scraping loop.
private final class MetricsCollection {
    let expected: Int
    let writer: ResponseWriter
    let metrics: GatewayMetrics
    var snapshots: [LoopMetricsSnapshot] = []

    init(expected: Int, writer: ResponseWriter, metrics: GatewayMetrics) {
        self.expected = expected
        self.writer = writer
        self.metrics = metrics
        snapshots.reserveCapacity(expected)
    }

    func add(_ snapshot: LoopMetricsSnapshot) {
        snapshots.append(snapshot)
        guard snapshots.count == expected, !writer.isClosed else { return }
        writer.send(status: 200, headers: HTTPHeaders([("Content-Type", PrometheusText.contentType)]), body: metrics.render(snapshots))
    }
}
