import CSwitchyardPlugin
import SwitchyardHTTP
import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardUpstream

/// `http_send` for the calls of one event loop: each request starts on the loop, through the
/// loop's own `UpstreamClient` (the connection pool and DNS cache the request path uses), and
/// its answer flows to the plugin's handler on the loop (`PluginHTTPExchange`).
///
/// Rules, as the header states them:
///  - Only on the loop's thread: in a hook that runs on the loop, or in a handler callback. A
///    hook the manifest declares blocking runs on a worker, and a plugin's own thread is not
///    the loop: both get SY_E_HANDLE.
///  - `timeout_ms` bounds the whole exchange (connection included), 30 s when 0; the body is
///    bounded by `server.max_upstream_response_bytes` (past it: cancelled, SY_E_UPSTREAM).
///  - A path goes to this gateway's own listener, marked internal (`InternalRequests`). A
///    plugin's own `X-Switchyard-Internal` header is dropped, whatever the URL.
///
/// Threading: loop-confined, except `cancel`, which hops to the loop.
final class LoopPluginHTTP: PluginCallHTTP, @unchecked Sendable {
    let loop: EventLoop
    private let upstream: UpstreamClient
    private let internalRequests: InternalRequests
    private let maxResponseBytes: Int
    /// Exchanges running, by request id: what `cancel` finds.
    private var running: [UInt64: PluginHTTPExchange] = [:]

    static let defaultTimeout: UInt64 = 30_000_000_000

    init(upstream: UpstreamClient, internalRequests: InternalRequests, maxResponseBytes: Int) {
        loop = upstream.loop
        self.upstream = upstream
        self.internalRequests = internalRequests
        self.maxResponseBytes = maxResponseBytes
    }

    /// Most plugin requests running at once on one loop: a plugin that sends in a loop (or again
    /// from every on_done) meets SY_E_NOMEM instead of exhausting sockets for every client.
    static let maxRunning = 256

    func send(_ request: PluginHTTPRequest, handler: PluginHTTPHandler, for call: PluginCall) -> sy_status {
        guard loop.isOnLoop else { return SY_E_HANDLE }
        guard running.count < Self.maxRunning else { return SY_E_NOMEM }
        var url = request.url
        var headers = request.headers.compactMap { header -> (String, String)? in
            HTTPHeaders.equalIgnoringCase(header.name, InternalRequests.headerName) ? nil : (header.name, header.value)
        }
        if request.isGatewayPath {
            guard let own = internalRequests.url(forPath: request.url) else { return SY_E_UNSUPPORTED }
            url = own
            headers.append((InternalRequests.headerName, internalRequests.secret))
            // The inner request's id starts with the id of the request it was sent for, so the two
            // log lines can be tied together ("req_X.N": plugin request N, sent for req_X).
            if let parent = call.requestID, !headers.contains(where: { HTTPHeaders.equalIgnoringCase($0.0, "x-request-id") }) {
                headers.append(("X-Request-ID", "\(parent).\(handler.requestID)"))
            }
        }
        let timeout = request.timeoutMilliseconds > 0 ? UInt64(request.timeoutMilliseconds) * 1_000_000 : Self.defaultTimeout
        let exchange = PluginHTTPExchange(handler: handler, owner: self, maxResponseBytes: maxResponseBytes)
        running[handler.requestID] = exchange
        // The client never calls a delegate from inside `start`: nothing reaches the plugin
        // before http_send has returned.
        exchange.transfer = upstream.start(
            UpstreamRequest(method: request.method, url: url, headers: headers, body: request.body,
                            connectTimeout: timeout, totalTimeout: timeout),
            delegate: exchange)
        return SY_OK
    }

    func cancel(_ requestID: UInt64, of call: PluginCall) {
        guard loop.isOnLoop else {
            loop.execute { [self] in running[requestID]?.stop(SY_E_CANCELLED) }
            return
        }
        running[requestID]?.stop(SY_E_CANCELLED)
    }

    func cancelAll(of call: PluginCall) {
        guard loop.isOnLoop else {
            loop.execute { [self] in cancelAll(of: call) }
            return
        }
        for exchange in running.values where exchange.handler.call === call { exchange.stop(SY_E_CANCELLED) }
    }

    /// The exchange is over (its handler's `done` is on its way).
    func finished(_ requestID: UInt64) {
        running[requestID] = nil
    }

    /// Exchanges running (tests).
    var runningCount: Int { running.count }
}
