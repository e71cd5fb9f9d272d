import SwitchyardPosix

/// Listener address, loop count, limits and timeouts. Timeouts are nanoseconds.
public struct HTTPServerConfiguration: Sendable {
    /// An IP literal (IPv4 or IPv6) or a name, resolved once at start; the server listens on
    /// every address it resolves to.
    public var host: String
    public var port: Int
    /// Event loops (one thread each); default one per core.
    public var loops: Int = EventLoopGroup.availableCores
    /// Request line plus header fields; over it: 431.
    public var maxHeaderBytes = 64 * 1024
    public var maxHeaderCount = 100
    /// Request body after decoding chunked; over it: 413.
    public var maxBodyBytes = 32 * 1024 * 1024
    /// A streamed request body (`HTTPResponder.streamsBody`), which is never held whole: a
    /// declared Content-Length over it is answered 413 before dispatch; a chunked body that
    /// grows past it fails its stream with 413.
    public var maxStreamedBodyBytes = 8 * 1024 * 1024 * 1024
    /// The most one streamed request body's buffer may hold. The buffer starts at 64 KiB (or the
    /// declared length, when less) and doubles as it fills, every byte of it reserved in
    /// `maxBodyMemory` until the response has ended: reading the client stops while it is full
    /// and cannot grow, and resumes once the consumer has drained it to half.
    public var streamedBodyBufferBytes = 256 * 1024
    /// Open client connections, all loops together. At the limit a loop stops accepting (new
    /// connections wait in the kernel's backlog) until one of its connections closes.
    public var maxConnections = 4096
    /// Request bodies in flight, all connections together, from the first byte received until
    /// the response has ended; a body that does not fit is answered 503.
    public var maxBodyMemory = 256 * 1024 * 1024
    /// Slowest average rate a body may arrive at, in bytes per second, once `bodyRateGrace` has
    /// passed since its first byte (a client dripping a byte every few seconds never trips the
    /// silence timeout): 408. 0 = no minimum.
    public var minBodyRate = 16 * 1024
    public var bodyRateGrace: UInt64 = 10_000_000_000
    /// From the first byte of a request to the end of its head (slowloris): 408.
    public var headerTimeout: UInt64 = 10_000_000_000
    /// Longest silence while a body is being received: 408.
    public var bodyTimeout: UInt64 = 30_000_000_000
    /// Keep-alive connection with no request in progress: closed.
    public var idleTimeout: UInt64 = 60_000_000_000
    /// Longest time a client may leave written data unread: the connection is closed.
    public var writeTimeout: UInt64 = 30_000_000_000
    /// After the server closes a connection, how long it keeps reading and dropping what the
    /// client still sends, so that the client sees the response rather than a reset.
    public var lingerTimeout: UInt64 = 2_000_000_000
    /// Events an operator should see (a limit reached, accepting paused): a message and fields.
    /// Called on a loop thread.
    public var log: @Sendable (_ message: String, _ fields: [(String, String)]) -> Void = { _, _ in }
    /// Renders the errors the server answers by itself (malformed requests, limits, timeouts).
    /// `path` is the request's path when its head was read (an oversize or slow body), so the
    /// error can take the shape that route's clients expect; nil for a malformed head.
    public var renderError: @Sendable (_ status: Int, _ message: String, _ code: String, _ path: String?) -> (contentType: String, body: [UInt8]) =
        { status, message, code, _ in HTTPServerConfiguration.openAIErrorBody(status, message, code) }

    public init(host: String = "127.0.0.1", port: Int = 0) {
        self.host = host
        self.port = port
    }

    /// `{"error":{"message","type","param","code"}}`, the shape OpenAI clients understand.
    public static let openAIErrorBody: @Sendable (Int, String, String) -> (contentType: String, body: [UInt8]) = { status, message, code in
        var text = #"{"error":{"message":""#
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            default: if scalar.value < 0x20 { text += " " } else { text.unicodeScalars.append(scalar) }
            }
        }
        let type = status >= 500 ? "server_error" : "invalid_request_error"
        text += #"","type":"\#(type)","param":null,"code":"\#(code)"}}"#
        return ("application/json", Array(text.utf8))
    }
}
