import CSwitchyardPlugin
import SwitchyardPlugins
import SwitchyardUpstream

/// One `http_send` in flight: forwards the transfer's head, body and completion to the
/// plugin's handler, on the loop. `done` is delivered exactly once (the handler guarantees it)
/// and, when the exchange was cancelled (by `http_cancel`, by the call ending, by the plugin's
/// `on_data` returning an error, by the response bound), on a later loop turn: never inside
/// the host function or executor step that cancelled it.
///
/// Threading: loop-confined. Retained by its transfer (the delegate) and by its owner's table
/// until the transfer completes.
final class PluginHTTPExchange: UpstreamResponseDelegate {
    let handler: PluginHTTPHandler
    unowned let owner: LoopPluginHTTP
    var transfer: (any UpstreamCall)?
    private let maxResponseBytes: Int
    private var received = 0
    /// Decided here before cancelling the transfer: what `done` reports instead of CANCELLED.
    private var outcome: sy_status?

    init(handler: PluginHTTPHandler, owner: LoopPluginHTTP, maxResponseBytes: Int) {
        self.handler = handler
        self.owner = owner
        self.maxResponseBytes = maxResponseBytes
    }

    /// Ends the exchange early; `done(status)` follows (the first reason wins).
    func stop(_ status: sy_status) {
        if outcome == nil { outcome = status }
        transfer?.cancel()
    }

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) {
        guard outcome == nil else { return }
        handler.headers(status: status, headers)
    }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        guard outcome == nil else { return }
        received += chunk.count
        guard received <= maxResponseBytes else { return stop(SY_E_UPSTREAM) }
        // A negative status from the plugin aborts the request.
        if handler.data(chunk) < 0 { stop(SY_E_CANCELLED) }
    }

    func upstreamComplete(_ result: UpstreamResult) {
        transfer = nil
        owner.finished(handler.requestID)
        let status = outcome ?? Self.status(for: result)
        guard outcome == nil else {
            let handler = handler
            owner.loop.schedule(after: 0) { handler.done(status) }
            return
        }
        handler.done(status)
    }

    /// SY_OK when the whole response arrived (whatever its HTTP status: the plugin saw it in
    /// on_headers); SY_E_TIMEOUT, SY_E_CANCELLED, else SY_E_UPSTREAM (no answer, or a broken one).
    static func status(for result: UpstreamResult) -> sy_status {
        switch result {
        case .success: SY_OK
        case .failure(let error) where error.isTimeout: SY_E_TIMEOUT
        case .failure(let error) where error.kind == .cancelled: SY_E_CANCELLED
        case .failure: SY_E_UPSTREAM
        }
    }
}
