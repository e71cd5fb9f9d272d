import CSwitchyardPlugin

/// A failure a plugin reports to the host: an ABI status code, a message for logs and clients,
/// and hints for the router. Filled into the host-allocated `sy_error` at the boundary.
public struct PluginError: Error, Sendable {
    public var status: sy_status
    public var message: String
    /// Status suggested for the client; 0 lets the host decide.
    public var httpStatus: UInt32
    /// True when another attempt (fallback) may succeed.
    public var retryable: Bool

    public init(_ status: sy_status, _ message: String, httpStatus: UInt32 = 0, retryable: Bool = false) {
        self.status = status
        self.message = message
        self.httpStatus = httpStatus
        self.retryable = retryable
    }

    public static func invalid(_ message: String) -> PluginError { PluginError(SY_E_INVALID, message, httpStatus: 400) }
    public static func config(_ message: String) -> PluginError { PluginError(SY_E_CONFIG, message) }
    public static func unsupported(_ message: String) -> PluginError { PluginError(SY_E_UNSUPPORTED, message, httpStatus: 400) }

    /// Copies this error into the host's `sy_error` (message truncated to its capacity, on a
    /// UTF-8 boundary, NUL-terminated) and returns the status to hand back.
    func fill(_ error: UnsafeMutablePointer<sy_error>?) -> sy_status {
        guard let error else { return status }
        error.pointee.code = status
        error.pointee.http_status = httpStatus
        error.pointee.retryable = retryable ? 1 : 0
        let capacity = Int(SY_ERROR_MESSAGE_CAPACITY)
        let full = Array(message.utf8)
        var end = min(full.count, capacity - 1)
        // Cut before a character whose bytes would not all fit.
        while end < full.count, end > 0, full[end] & 0xC0 == 0x80 { end -= 1 }
        let utf8 = full[..<end]
        withUnsafeMutableBytes(of: &error.pointee.message) { raw in
            raw.copyBytes(from: utf8)
            raw[utf8.count] = 0
        }
        return status
    }
}
