import SwitchyardPosix
import SwitchyardUpstream

/// What each event loop owns for the request path: its upstream client, its access-log batch
/// and the watch on the plugin hooks it runs. Created before the server starts, then used only
/// on its loop's thread (the hook watch is also read by the watchdog thread).
final class LoopContext {
    let upstream: UpstreamClient
    let accessLog: AccessLogBatch
    let hookWatch = HookWatch()

    init(loop: EventLoop) {
        upstream = UpstreamClient(loop: loop)
        accessLog = AccessLogBatch(loop: loop)
    }
}
