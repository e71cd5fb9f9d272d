import CSwitchyardPlugin
import SwitchyardPlugins
import SwitchyardUpstream

/// One provider's upstream timeouts and response bounds, in the units of the request path
/// (nanoseconds and bytes; a timeout of 0 is off), resolved from the config once at start-up.
public struct UpstreamLimits: Sendable, Equatable {
    public var connectTimeout: UInt64 = 5_000_000_000
    public var firstByteTimeout: UInt64 = 300_000_000_000
    public var idleTimeout: UInt64 = 300_000_000_000
    public var totalTimeout: UInt64 = 0
    /// `server.max_upstream_response_bytes`: a buffered (non-streamed or error) answer.
    public var maxResponseBytes = 64 << 20
    /// `server.max_sse_event_bytes`: one event of a streamed answer.
    public var maxSSEEventBytes = 16 << 20

    public init() {}

    /// What the client hears when a transfer failed: which timeout fired and after how long, or
    /// the kind of failure and its short cause (`upstream unreachable (connection refused)`).
    /// Never the upstream's address, host name, port or URL: those are in the transport's own
    /// message, which the executor adds for the log only.
    func failure(for error: UpstreamError, afterHead: Bool) -> PluginFailure {
        switch error.kind {
        case .connectTimeout:
            timeout("no connection within \(Self.text(connectTimeout))")
        case .firstByteTimeout:
            timeout("no response head within \(Self.text(firstByteTimeout))")
        case .idleTimeout where error.reason == UpstreamError.requestBodyStalledReason:
            timeout("\(UpstreamError.requestBodyStalledReason) (none taken for \(Self.text(idleTimeout > 0 ? idleTimeout : firstByteTimeout)))")
        case .idleTimeout:
            timeout("no bytes for \(Self.text(idleTimeout))")
        case .totalTimeout:
            timeout("not finished within the total timeout of \(Self.text(totalTimeout))")
        case .closed:
            PluginFailure(status: SY_E_UPSTREAM, httpStatus: 502, retryable: true, message: afterHead
                ? "upstream closed the connection mid-response" : "upstream closed the connection before responding")
        case .cancelled:
            PluginFailure(status: SY_E_CANCELLED, message: "upstream request cancelled")
        case .requestBody:
            PluginFailure(status: SY_E_INVALID, httpStatus: 400, message: "request body failed" + (error.reason.map { " (\($0))" } ?? ""))
        case .connect, .resolve, .tls:
            PluginFailure(status: SY_E_UPSTREAM, httpStatus: 502, retryable: true, message: "upstream unreachable (\(error.reason ?? Self.cause(of: error.kind)))")
        case .tooManyRedirects, .other:
            PluginFailure(
                status: SY_E_UPSTREAM, httpStatus: 502, retryable: true,
                message: "upstream request failed" + ((error.reason ?? (error.kind == .tooManyRedirects ? "too many redirects" : nil)).map { " (\($0))" } ?? ""))
        }
    }

    private static func cause(of kind: UpstreamError.Kind) -> String {
        switch kind {
        case .resolve: "host name not resolved"
        case .tls: "TLS handshake failed"
        default: "could not connect"
        }
    }

    private func timeout(_ what: String) -> PluginFailure {
        PluginFailure(status: SY_E_TIMEOUT, httpStatus: 504, retryable: true, message: "upstream timed out: \(what)")
    }

    /// `300s`, `1.5s`, `250ms`: as an operator would write it in the config.
    static func text(_ nanoseconds: UInt64) -> String {
        let milliseconds = (nanoseconds + 999_999) / 1_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        var fraction = String(milliseconds % 1000 + 1000).dropFirst()  // three digits, leading zeros kept
        while fraction.last == "0" { fraction = fraction.dropLast() }
        return "\(milliseconds / 1000).\(fraction)s"
    }
}

/// Bounds what an upstream answer may make a provider plugin hold, counted on the raw bytes
/// before the plugin sees them: a buffered answer (non-streamed, or any error status) as a
/// whole, a streamed one event by event (`SSEEventSizeTracker`).
///
/// A value type owned by the executor; reset when a response head arrives.
struct UpstreamBodyBound {
    private var streamed = false
    private var received = 0
    private var maxBytes = Int.max
    private var events = SSEEventSizeTracker(limit: .max)

    init() {}

    /// For a response whose head just arrived: an SSE stream (a streamed request answered
    /// with 2xx) or a buffered body.
    init(streamed: Bool, limits: UpstreamLimits) {
        self.streamed = streamed
        if streamed { events = SSEEventSizeTracker(limit: limits.maxSSEEventBytes) } else { maxBytes = limits.maxResponseBytes }
    }

    /// False when `chunk` would take the answer (or its current event) past the bound; the
    /// chunk must then not reach the plugin.
    mutating func admit(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if streamed { return events.consume(chunk) }
        received += chunk.count
        return received <= maxBytes
    }

    /// The failure to answer with once `admit` said no.
    var failure: PluginFailure {
        let message = streamed
            ? "upstream sent a stream event larger than server.max_sse_event_bytes (\(events.limit) bytes)"
            : "upstream response larger than server.max_upstream_response_bytes (\(maxBytes) bytes)"
        return PluginFailure(status: SY_E_UPSTREAM, httpStatus: 502, message: message)
    }
}
