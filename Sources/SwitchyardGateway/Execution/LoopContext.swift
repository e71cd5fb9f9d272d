import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardUpstream

/// What each event loop owns for the request path: its upstream client, its access-log batch,
/// its metrics shard, the watch on the plugin hooks it runs, the plugins' out-of-band HTTP (`http_send`) and an
/// ended `PluginCall` kept for the next request.
/// Created before the server starts, then used only on its loop's thread (the hook watch is also
/// read by the watchdog thread; `generation` is replaced on the loop by `GenerationSwap`).
final class LoopContext {
    let upstream: UpstreamClient
    let accessLog: AccessLogBatch
    /// This loop's usage records on their way to the store (empty unless `usage.record`).
    let usage: UsageBuffer
    let hookWatch = HookWatch()
    /// This loop's requests' metrics (a scrape asks the loop for `metricsSnapshot`).
    let metrics = MetricShard()
    let pluginHTTP: LoopPluginHTTP
    /// Backoff jitter and trace ids of this loop's requests.
    var random = LoopRandom()
    /// An ended call for the next request (one allocation and one free fewer per request).
    private var spareCall: PluginCall?
    /// The config generation requests on this loop start with: a plain field, set before the
    /// server starts and replaced on this loop by a reload, so the request path pays one load.
    var generation: GatewayGeneration?

    /// The current generation; set by the time any request arrives.
    var current: GatewayGeneration { generation! }

    init(loop: EventLoop, internalRequests: InternalRequests = InternalRequests(), maxPluginResponseBytes: Int = UpstreamLimits().maxResponseBytes) {
        upstream = UpstreamClient(loop: loop)
        accessLog = AccessLogBatch(loop: loop)
        usage = UsageBuffer(loop: loop)
        pluginHTTP = LoopPluginHTTP(upstream: upstream, internalRequests: internalRequests, maxResponseBytes: maxPluginResponseBytes)
    }

    /// A call for a new request on this loop, not opened yet: the spare one when nobody refers
    /// to it any more (a handler of an unfinished http_send may), else a new one.
    func makePluginCall() -> PluginCall {
        if var spare = spareCall.take(), isKnownUniquelyReferenced(&spare) {
            spare.recycle()
            return spare
        }
        return PluginCall(http: pluginHTTP)
    }

    /// A copy of this loop's metrics for a scrape. On the loop's thread.
    func metricsSnapshot() -> LoopMetricsSnapshot {
        LoopMetricsSnapshot(series: metrics.snapshot(), streamsInFlight: metrics.streamsInFlight, hooks: hookWatch.counts.snapshot())
    }

    /// Keeps an ended call for the next request. On the loop only (a request released on a
    /// worker thread just frees its call).
    func keepEnded(_ call: PluginCall) {
        if spareCall == nil, upstream.loop.isOnLoop { spareCall = call }
    }
}
