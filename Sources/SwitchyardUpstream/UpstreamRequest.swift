#if canImport(Glibc)
import Glibc
#endif

/// An HTTP request to an upstream, as a provider plugin built it.
///
/// Defaults the host adds nothing to: libcurl's own `Accept: */*`, `Expect: 100-continue` and
/// form `Content-Type` are suppressed unless `headers` names them. A header with an empty value is
/// sent as `Name:` with no value. `GET` and `HEAD` send no body; every other method sends `body`
/// with a `Content-Length` (possibly 0), or, when `bodySource` is set, the source's bytes as
/// they come (any method but HEAD, GET included).
public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// A body sent as it arrives instead of `body` (which is then ignored): with a
    /// Content-Length when the source knows its length, else chunked. With a streamed body,
    /// `firstByteTimeout` counts from the end of the body, and no timeout counts the time spent
    /// waiting for the source. Until the response head, an upstream that takes none of the body
    /// for `idleTimeout` (or, when that is 0, `firstByteTimeout`) while bytes are ready for it
    /// fails the request with `.idleTimeout` (`UpstreamError.requestBodyStalledReason`): it
    /// stopped reading. nil: send `body`.
    public var bodySource: (any UpstreamBodySource)? {
        get { bodySourceBox?.source }
        set { bodySourceBox = newValue.map(BodySourceBox.init) }
    }
    /// Held in a box: a request is copied several times on the way to the socket, and copying
    /// an optional existential costs several times what one class reference does.
    private var bodySourceBox: BodySourceBox?

    /// `bodySource != nil`, without materialising the existential.
    var streamsBody: Bool { bodySourceBox != nil }
    /// Nanoseconds to establish the connection (TCP + TLS); 0 = libcurl's default (300 s).
    /// Fails with `.connectTimeout`.
    public var connectTimeout: UInt64
    /// Nanoseconds for the whole transfer, response body included (less any time spent waiting
    /// for a `bodySource`); 0 = none. Fails with `.totalTimeout`.
    public var totalTimeout: UInt64
    /// Nanoseconds from the start until the response head has arrived (connecting and sending
    /// the request included), or with a `bodySource` from the end of its body; 0 = none. Fails
    /// with `.firstByteTimeout`.
    public var firstByteTimeout: UInt64
    /// Longest silence allowed between arriving bytes once the response head is in, in
    /// nanoseconds; 0 = none. Before the head, `firstByteTimeout` applies; while the caller has
    /// paused receiving (`UpstreamCall.pauseReceiving`) the silence is the caller's and does
    /// not count. Suits streams, whose total duration is unknown but whose pauses are short.
    /// Fails with `.idleTimeout`.
    public var idleTimeout: UInt64

    public init(
        method: String, url: String, headers: [(String, String)], body: [UInt8],
        connectTimeout: UInt64 = 0, totalTimeout: UInt64 = 0, firstByteTimeout: UInt64 = 0, idleTimeout: UInt64 = 0
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.firstByteTimeout = firstByteTimeout
        self.idleTimeout = idleTimeout
    }

    /// A request whose body streams from `bodySource` (see `bodySource`).
    public init(
        method: String, url: String, headers: [(String, String)], bodySource: any UpstreamBodySource,
        connectTimeout: UInt64 = 0, totalTimeout: UInt64 = 0, firstByteTimeout: UInt64 = 0, idleTimeout: UInt64 = 0
    ) {
        self.init(
            method: method, url: url, headers: headers, body: [], connectTimeout: connectTimeout, totalTimeout: totalTimeout,
            firstByteTimeout: firstByteTimeout, idleTimeout: idleTimeout)
        bodySourceBox = BodySourceBox(bodySource)
    }
}

/// Receives one upstream response as it arrives. Every call happens on the client's event loop,
/// never from inside `UpstreamClient.start`. A callback may cancel its own transfer (or any
/// other), and `upstreamComplete` may start new transfers.
public protocol UpstreamResponseDelegate: AnyObject {
    /// The final (non-1xx) status and header fields, in arrival order; once, before any body bytes.
    func upstreamHead(status: Int, headers: [(name: String, value: String)])
    /// Body bytes as they arrive, chunked framing already removed. Borrowed for the call only:
    /// copy what you keep.
    func upstreamBody(_ chunk: UnsafeRawBufferPointer)
    /// Exactly once, last. `.success` means the whole response arrived.
    func upstreamComplete(_ result: UpstreamResult)
}

/// A request in flight, whichever way it travels (libcurl, or the plain-HTTP client).
/// Loop-confined.
public protocol UpstreamCall: AnyObject {
    /// False once `upstreamComplete` has been called (or is being called).
    var isActive: Bool { get }
    var timings: UpstreamTimings { get }
    /// Stops the request. `upstreamComplete(.failure(.cancelled))` follows exactly once: at
    /// once, or as soon as the delegate callback on the stack returns. No head or body
    /// callbacks arrive after `cancel()` returns. A no-op once complete.
    func cancel()
    /// Stops reading the response (the client reads slower than the upstream writes): TCP flow
    /// control then slows the upstream down, and no bytes pile up in the gateway. Timeouts on
    /// silence do not count the paused time.
    func pauseReceiving()
    func resumeReceiving()
}

public enum UpstreamResult: Sendable {
    case success
    case failure(UpstreamError)
}

/// Why a transfer failed: a bounded kind to branch on, the transport's own text for the log
/// (it may name the upstream's address and URL), and a short cause that names neither, for
/// clients.
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The TCP connection could not be made (refused, no route to the host).
        case connect
        /// The host name did not resolve.
        case resolve
        /// The TLS handshake failed (certificate, protocol).
        case tls
        /// No connection (TCP and TLS) within `UpstreamRequest.connectTimeout`.
        case connectTimeout
        /// No response head within `UpstreamRequest.firstByteTimeout`.
        case firstByteTimeout
        /// No bytes for `UpstreamRequest.idleTimeout` after the head; or, before the head, the
        /// upstream took none of a streamed request body for that long (`firstByteTimeout` when
        /// the idle timeout is 0), with `reason` == `UpstreamError.requestBodyStalledReason`.
        case idleTimeout
        /// Not finished within `UpstreamRequest.totalTimeout`.
        case totalTimeout
        /// The connection was made, then closed or reset by the upstream before the response
        /// was complete: before the head (the request may have been seen) or mid-response.
        case closed
        case cancelled
        /// The request's `bodySource` failed (answered `.failed`, or delivered a length other
        /// than the one it announced): the upstream saw part of a request.
        case requestBody
        case tooManyRedirects
        /// Anything else, such as a malformed response or a request that could not be sent.
        case other
    }

    public let kind: Kind
    /// The transport's words: errno or curl text, often with the address or URL. Log only.
    public let message: String
    /// What went wrong in a few words, with no address, host name, port or URL, e.g.
    /// "connection refused"; nil when nothing more specific than `kind` is known.
    public let reason: String?

    public init(_ kind: Kind, _ message: String, reason: String? = nil) {
        self.kind = kind
        self.message = message
        self.reason = reason
    }

    /// The short cause of a failed socket call.
    public static func reason(errno code: Int32) -> String? {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ECONNRESET: "connection reset"
        case ECONNABORTED: "connection aborted"
        case EPIPE: "connection closed while sending"
        case ENETUNREACH: "network unreachable"
        case EHOSTUNREACH: "host unreachable"
        case ENETDOWN: "network down"
        case ETIMEDOUT: "connection timed out"
        case EADDRNOTAVAIL: "no local address available"
        case EMFILE, ENFILE: "too many open files"
        case ENOBUFS, ENOMEM: "out of memory"
        default: nil
        }
    }

    public var description: String { "\(kind): \(message)" }

    /// The reason of an `.idleTimeout` for a streamed request body the upstream stopped taking.
    public static let requestBodyStalledReason = "upstream stopped reading the request body"

    /// The upstream's socket took none of a streamed request body for `timeout` nanoseconds.
    static func requestBodyStalled(after timeout: UInt64) -> UpstreamError {
        UpstreamError(
            .idleTimeout, "upstream took none of the request body for \(timeout / 1_000_000) ms: it stopped reading",
            reason: requestBodyStalledReason)
    }

    /// One of the four timeouts of `UpstreamRequest` fired.
    public var isTimeout: Bool {
        switch kind {
        case .connectTimeout, .firstByteTimeout, .idleTimeout, .totalTimeout: true
        default: false
        }
    }
}

/// Monotonic timestamps of one transfer, in nanoseconds (0 = not reached). The gateway's own
/// overhead is its total time minus `completed - started`.
public struct UpstreamTimings: Sendable {
    public var started: UInt64 = 0
    /// When the final response head was complete.
    public var head: UInt64 = 0
    public var completed: UInt64 = 0

    /// Time to the response head, or 0.
    public var toHead: UInt64 { head > 0 ? head &- started : 0 }
    /// Whole transfer, or 0 while running.
    public var total: UInt64 { completed > 0 ? completed &- started : 0 }

    public init() {}
}

private final class BodySourceBox: Sendable {
    let source: any UpstreamBodySource
    init(_ source: any UpstreamBodySource) { self.source = source }
}
