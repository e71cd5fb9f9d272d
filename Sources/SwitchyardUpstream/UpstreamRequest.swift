/// An HTTP request to an upstream, as a provider plugin built it.
public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Nanoseconds; 0 = libcurl's default (connect) or none (total).
    public var connectTimeout: UInt64
    public var totalTimeout: UInt64

    public init(method: String, url: String, headers: [(String, String)], body: [UInt8], connectTimeout: UInt64 = 0, totalTimeout: UInt64 = 0) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }
}

/// Receives one upstream response as it arrives. Called on the client's event loop.
public protocol UpstreamResponseDelegate: AnyObject {
    /// The final (non-1xx) status line and header fields; once, before any body bytes.
    func upstreamHead(status: Int, headers: [(name: String, value: String)])
    /// Body bytes as they arrive (borrowed for the call; chunked framing already removed).
    func upstreamBody(_ chunk: UnsafeRawBufferPointer)
    /// Exactly once, last.
    func upstreamComplete(_ result: UpstreamResult)
}

public enum UpstreamResult: Sendable {
    case success
    case failure(UpstreamError)
}

public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case connect, resolve, tls, timeout, cancelled, tooManyRedirects, other }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Monotonic timestamps of one transfer, in nanoseconds (0 = not reached).
public struct UpstreamTimings: Sendable {
    public var started: UInt64 = 0
    public var head: UInt64 = 0
    public var completed: UInt64 = 0
}
