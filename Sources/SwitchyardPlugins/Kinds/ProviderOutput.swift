import CSwitchyardPlugin

/// Receives what a provider writes to its sink (SY_OUT_* kind, bytes borrowed for the call).
/// Returns false once the client has gone away, which the plugin sees as SY_E_CANCELLED.
/// Called on the thread running the hook (the request's event loop).
public protocol ProviderOutput: AnyObject {
    func providerWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> Bool
}

/// The C sink handed to a plugin for one hook call; `ctx` is the unretained output object, which
/// the caller keeps alive for the call.
@inline(__always)
func makeSink(_ output: ProviderOutput) -> sy_sink {
    sy_sink(
        struct_size: UInt32(MemoryLayout<sy_sink>.size),
        ctx: Unmanaged.passUnretained(output as AnyObject).toOpaque(),
        write: sinkWrite)
}

private let sinkWrite: @convention(c) (UnsafeMutableRawPointer?, UInt32, sy_bytes) -> sy_status = { ctx, kind, data in
    guard let ctx else { return SY_E_INVALID }
    let output = Unmanaged<AnyObject>.fromOpaque(ctx).takeUnretainedValue() as! ProviderOutput
    return output.providerWrote(kind: kind, bytes: UnsafeRawBufferPointer(start: data.ptr, count: data.len)) ? SY_OK : SY_E_CANCELLED
}
