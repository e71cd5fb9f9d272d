/// The upstream error policy every provider shares (docs/decisions/0032): what a non-2xx
/// upstream answer becomes for the client and the router. The C helper
/// (`switchyard_upstream_error.h`) and the Rust SDK implement the same rule; a provider keeps only
/// what is its own (the shape of its upstream's error bodies, statuses of its own such as 529).
public enum UpstreamErrorPolicy {
    /// The most of an error body that is kept; the rest is dropped unread.
    public static let keptBodyBytes = 64 * 1024
    /// How much of a body that is not an error object the client's message quotes.
    public static let excerptBytes = 200

    /// The OpenAI error type for an upstream HTTP status.
    public static func errorType(forStatus status: Int) -> String {
        switch status {
        case 400: "invalid_request_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 503: "overloaded_error"
        case 500...599: "api_error"
        case 400...499: "invalid_request_error"
        default: "api_error"
        }
    }

    /// Whether another attempt (a fallback, a later retry) may succeed: timeouts, rate limits and
    /// server trouble, never a request the upstream refused.
    public static func isRetryable(status: Int) -> Bool { status == 408 || status == 429 || status >= 500 }

    /// "`source` returned HTTP `status`: `the body's first 200 bytes`" (no colon for an empty body).
    public static func message(status: Int, body: [UInt8], source: String = "upstream") -> String {
        let excerpt = String(decoding: body.prefix(excerptBytes), as: UTF8.self)
        return "\(source) returned HTTP \(status)" + (excerpt.isEmpty ? "" : ": " + excerpt)
    }

    /// `{"error":{"message","type","param":null,"code"}}`, OpenAI's error shape.
    public static func openAIErrorBody(message: String, type: String, code: String? = nil) -> [UInt8] {
        let body: JSONValue = ["error": ["message": .string(message), "type": .string(type), "param": nil, "code": code.map { .string($0) } ?? nil]]
        return body.serialized()
    }

    /// The failure the call ends with: SY_E_UPSTREAM, the status for the client, retryable by
    /// `retryableStatus` (the upstream's own status when the client's differs, e.g. 529 → 503).
    public static func failure(_ message: String, status: Int, retryableStatus: Int? = nil) -> PluginError {
        PluginError(SY_E_UPSTREAM, message, httpStatus: UInt32(clamping: status), retryable: isRetryable(status: retryableStatus ?? status))
    }
}

/// The first `UpstreamErrorPolicy.keptBodyBytes` of one error response, fed chunk by chunk.
public struct UpstreamErrorBody {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func append(_ chunk: UnsafeRawBufferPointer) {
        let room = UpstreamErrorPolicy.keptBodyBytes - bytes.count
        if room > 0 { bytes.append(contentsOf: chunk.prefix(room)) }
    }

    /// The body parsed as JSON, nil when it is not (or was cut at the bound).
    public var json: JSONValue? { try? JSONValue.parse(bytes) }
}

/// The transformer for a non-2xx answer of an OpenAI-compatible upstream, the policy as it is: a
/// body `{"error":{...}}` goes to the client unchanged, anything else becomes an OpenAI error
/// quoting its start; the call fails with the upstream's status, retryable by the table.
public final class OpenAIUpstreamError: ResponseTransformer {
    private let status: Int
    private var body = UpstreamErrorBody()

    public init(status: Int) { self.status = status }

    public func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) { body.append(chunk) }

    public func end(out: Sink) throws(PluginError) {
        let message: String
        if let error = body.json?["error"], error.objectValue != nil {
            message = error["message"]?.stringValue ?? "upstream returned HTTP \(status)"
            out.error(body.bytes)
        } else {
            message = UpstreamErrorPolicy.message(status: status, body: body.bytes)
            out.error(UpstreamErrorPolicy.openAIErrorBody(message: message, type: UpstreamErrorPolicy.errorType(forStatus: status)))
        }
        throw UpstreamErrorPolicy.failure(message, status: status)
    }
}
