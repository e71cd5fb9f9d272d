import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardUpstream

/// What each event loop owns for the request path: its upstream client, its access-log batch,
/// the watch on the plugin hooks it runs, the plugins' out-of-band HTTP (`http_send`) and an
/// ended `PluginCall` kept for the next request.
/// Created before the server starts, then used only on its loop's thread (the hook watch is also
/// read by the watchdog thread).
final class LoopContext {
    let upstream: UpstreamClient
    let accessLog: AccessLogBatch
    let hookWatch = HookWatch()
    let pluginHTTP: LoopPluginHTTP
    /// Backoff jitter and trace ids of this loop's requests.
    var random = LoopRandom()
    /// An ended call for the next request (one allocation and one free fewer per request).
    private var spareCall: PluginCall?

    init(loop: EventLoop, internalRequests: InternalRequests = InternalRequests(), maxPluginResponseBytes: Int = UpstreamLimits().maxResponseBytes) {
        upstream = UpstreamClient(loop: loop)
        accessLog = AccessLogBatch(loop: loop)
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

    /// Keeps an ended call for the next request. On the loop only (a request released on a
    /// worker thread just frees its call).
    func keepEnded(_ call: PluginCall) {
        if spareCall == nil, upstream.loop.isOnLoop { spareCall = call }
    }
}
