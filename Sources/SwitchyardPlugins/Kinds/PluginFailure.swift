import CSwitchyardPlugin

/// A plugin hook's failure as the host sees it: the ABI status plus what the plugin put in its
/// `sy_error`. Plugin output is untrusted: an unknown status is treated as SY_E_INTERNAL.
public struct PluginFailure: Error, Sendable, CustomStringConvertible {
    public let status: Int32
    /// Status the plugin suggests for the client; 0 = host decides.
    public let httpStatus: Int
    public let retryable: Bool
    public let message: String
    /// The host refused what the plugin wrote (its output check), rather than the plugin
    /// failing of its own accord: told by the host, never guessed from the message.
    public let refusedByHost: Bool

    public init(status: Int32, httpStatus: Int = 0, retryable: Bool = false, message: String, refusedByHost: Bool = false) {
        self.status = (SY_E_HANDLE...SY_PAUSE).contains(status) ? status : SY_E_INTERNAL
        self.httpStatus = (100...599).contains(httpStatus) ? httpStatus : 0
        self.retryable = retryable
        self.message = message
        self.refusedByHost = refusedByHost
    }

    init(status: Int32, error: inout sy_error) {
        let message = withUnsafeBytes(of: &error.message) { raw -> String in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
        self.init(
            status: status, httpStatus: Int(error.http_status), retryable: error.retryable != 0,
            message: message.isEmpty ? "plugin returned status \(status) without a message" : message)
    }

    public var description: String { "\(PluginStatus.name(status)): \(message)" }
}

/// Names of the ABI status codes, for logs and error messages.
public enum PluginStatus {
    public static func name(_ status: Int32) -> String {
        switch status {
        case SY_OK: "SY_OK"
        case SY_PAUSE: "SY_PAUSE"
        case SY_E_INVALID: "SY_E_INVALID"
        case SY_E_UNSUPPORTED: "SY_E_UNSUPPORTED"
        case SY_E_NOMEM: "SY_E_NOMEM"
        case SY_E_CANCELLED: "SY_E_CANCELLED"
        case SY_E_TOO_SMALL: "SY_E_TOO_SMALL"
        case SY_E_UPSTREAM: "SY_E_UPSTREAM"
        case SY_E_TIMEOUT: "SY_E_TIMEOUT"
        case SY_E_CONFIG: "SY_E_CONFIG"
        case SY_E_ABI: "SY_E_ABI"
        case SY_E_HANDLE: "SY_E_HANDLE"
        default: "SY_E_INTERNAL"
        }
    }
}

/// A zeroed error block for one hook call.
@inline(__always)
func freshError() -> sy_error {
    var error = sy_error()
    error.struct_size = UInt32(MemoryLayout<sy_error>.size)
    return error
}
