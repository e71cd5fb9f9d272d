import SwitchyardPosix
import SwitchyardUpstream

/// What each event loop owns for the request path: its upstream client, its access-log batch,
/// the watch on the plugin hooks it runs and the plugins' out-of-band HTTP (`http_send`).
/// Created before the server starts, then used only on its loop's thread (the hook watch is also
/// read by the watchdog thread).
final class LoopContext {
    let upstream: UpstreamClient
    let accessLog: AccessLogBatch
    let hookWatch = HookWatch()
    let pluginHTTP: LoopPluginHTTP

    init(loop: EventLoop, internalRequests: InternalRequests = InternalRequests(), maxPluginResponseBytes: Int = UpstreamLimits().maxResponseBytes) {
        upstream = UpstreamClient(loop: loop)
        accessLog = AccessLogBatch(loop: loop)
        pluginHTTP = LoopPluginHTTP(upstream: upstream, internalRequests: internalRequests, maxResponseBytes: maxPluginResponseBytes)
    }
}
