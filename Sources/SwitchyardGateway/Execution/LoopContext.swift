import SwitchyardPosix
import SwitchyardUpstream

/// What each event loop owns for the request path: its upstream client and its access-log
/// batch. Created before the server starts, then used only on its loop's thread.
final class LoopContext {
    let upstream: UpstreamClient
    let accessLog: AccessLogBatch

    init(loop: EventLoop) {
        upstream = UpstreamClient(loop: loop)
        accessLog = AccessLogBatch(loop: loop)
    }
}
