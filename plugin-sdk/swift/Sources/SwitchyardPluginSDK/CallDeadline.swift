import CSwitchyardPlugin

extension PluginCall {
    /// The instant (`PluginHost.monotonicNanoseconds()`) by which the hook now running for this
    /// call must return: `call_deadline_ns`, ABI 1.1 (the header says which timeout the host
    /// applies to each hook). nil when the host sets none, the call has ended, or the host is
    /// older than 1.1 (it has no such function: the plugin negotiated down to 1.0). Ask on the
    /// hook's thread, before it returns.
    public var deadline: UInt64? {
        guard SY_HAS_call_deadline_ns(host.api) else { return nil }
        let instant = host.api.pointee.call_deadline_ns(handle)
        return instant == 0 ? nil : instant
    }

    /// Nanoseconds left until `deadline` (0 once it has passed); nil when there is none.
    public var remainingNanoseconds: UInt64? {
        guard let deadline else { return nil }
        let now = host.monotonicNanoseconds()
        return deadline > now ? deadline - now : 0
    }
}

extension PluginHost {
    /// The host's monotonic clock (`monotonic_ns`), the one deadlines are instants of.
    public func monotonicNanoseconds() -> UInt64 { api.pointee.monotonic_ns() }
}

/// `SY_HAS(sy_host_api, host, call_deadline_ns)`: the function-like macro does not import into Swift.
@inline(__always)
func SY_HAS_call_deadline_ns(_ api: UnsafePointer<sy_host_api>) -> Bool {
    Int(api.pointee.struct_size) >= MemoryLayout<sy_host_api>.offset(of: \.call_deadline_ns)! + MemoryLayout<UnsafeRawPointer>.size
        && api.pointee.call_deadline_ns != nil
}
