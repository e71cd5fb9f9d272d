import CSwitchyardPlugin

/// An object that receives what a plugin writes to a `sy_sink` (SY_OUT_* kind; the bytes are
/// borrowed for the duration of the call, so copy what you keep). Return SY_OK, or
/// SY_E_CANCELLED once the client has gone away (the plugin then stops promptly).
/// Called on the thread running the hook the sink was passed to.
public protocol PluginSinkTarget: AnyObject {
    func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status
}

/// The signature of a sink's Swift side.
public typealias PluginSinkWrite = (_ kind: UInt32, _ bytes: UnsafeRawBufferPointer) -> sy_status

/// Lends `body` a `sy_sink` whose `write` forwards to `write`, for the duration of `body` only
/// (a sink is valid until the hook it was passed to returns).
///
/// Nothing is allocated: the sink struct and the closure slot its `ctx` points to live on this
/// stack frame, and `write` is one non-capturing C function that calls through the slot, so a
/// write costs an indirect call and no dynamic cast.
@inline(__always)
public func withPluginSink<R>(_ write: PluginSinkWrite, _ body: (UnsafePointer<sy_sink>) -> R) -> R {
    withoutActuallyEscaping(write) { write in
        var slot: PluginSinkWrite = write
        return withUnsafeMutablePointer(to: &slot) { slot in
            var sink = sy_sink(struct_size: UInt32(MemoryLayout<sy_sink>.size), ctx: UnsafeMutableRawPointer(slot), write: sinkTrampoline)
            return body(&sink)
        }
    }
}

/// Lends `body` a `sy_sink` that forwards to `target` (kept alive for the duration of `body`).
@inline(__always)
public func withPluginSink<R>(_ target: some PluginSinkTarget, _ body: (UnsafePointer<sy_sink>) -> R) -> R {
    withExtendedLifetime(target) {
        withPluginSink({ kind, bytes in target.pluginWrote(kind: kind, bytes: bytes) }, body)
    }
}

private let sinkTrampoline: @convention(c) (UnsafeMutableRawPointer?, UInt32, sy_bytes) -> sy_status = { ctx, kind, data in
    guard let ctx else { return SY_E_INVALID }
    // Untrusted input: a NULL pointer with a length is refused rather than read.
    if data.ptr == nil && data.len != 0 { return SY_E_INVALID }
    let write = ctx.assumingMemoryBound(to: PluginSinkWrite.self).pointee
    return write(kind, UnsafeRawBufferPointer(start: data.ptr, count: data.len))
}
