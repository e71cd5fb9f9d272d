import CSwitchyardPlugin

/// The host's services as seen by one plugin instance. Thread-safe (the host table is).
public struct PluginHost: @unchecked Sendable {
    let api: UnsafePointer<sy_host_api>
    let instance: sy_hinst?

    public enum Level: UInt32 { case trace = 0, debug, info, warn, error }

    public func log(_ level: Level, _ message: String) {
        guard api.pointee.log_enabled(instance, level.rawValue) != 0 else { return }
        with(message) { api.pointee.log(instance, nil, level.rawValue, $0) }
    }

    /// A secret by name (an environment variable of the gateway), or nil when it is not set.
    public func secret(_ name: String) -> String? {
        var needed = 0
        let first = with(name) { api.pointee.secret_get(instance, $0, nil, 0, &needed) }
        if first == SY_OK { return "" }
        guard first == SY_E_TOO_SMALL else { return nil }
        var buffer = [UInt8](repeating: 0, count: needed)
        let second = with(name) { name in buffer.withUnsafeMutableBufferPointer { api.pointee.secret_get(instance, name, $0.baseAddress, $0.count, &needed) } }
        return second == SY_OK ? String(decoding: buffer.prefix(needed), as: UTF8.self) : nil
    }

    public func unixNanoseconds() -> UInt64 { api.pointee.now_unix_ns() }
}

/// What the host planned for the call a hook runs for (borrowed for the hook).
public struct CallInfo {
    public let operation: UInt32
    public let stream: Bool
    public let attempt: Int
    public let requestID: String
    public let upstreamModel: String
    /// The canonical request this call answers. Borrowed: valid only during the hook it was
    /// passed to (copy what the response transformer must keep).
    public let request: UnsafeRawBufferPointer
    /// The call's services (`deadline`, `metadata`, `log` ...) for the hook it was passed to;
    /// nil where the hook has no call.
    public let call: PluginCall?

    init(_ info: UnsafePointer<sy_call_info>?, call: PluginCall? = nil) {
        self.call = call
        guard let info else {
            operation = 0; stream = false; attempt = 0; requestID = ""; upstreamModel = ""
            request = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        operation = info.pointee.operation
        stream = info.pointee.stream != 0
        attempt = Int(info.pointee.attempt)
        requestID = info.pointee.request_id.string
        upstreamModel = info.pointee.upstream_model.string
        let requestEnd = MemoryLayout<sy_call_info>.offset(of: \sy_call_info.request)! + MemoryLayout<sy_bytes>.size
        request = Int(info.pointee.struct_size) >= requestEnd ? info.pointee.request.buffer : UnsafeRawBufferPointer(start: nil, count: 0)
    }
}
