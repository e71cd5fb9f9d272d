import CSwitchyardPlugin

/// The host's output channel for one hook call: a `sy_sink` handle, valid only on the thread
/// running the hook and only until it returns (do not keep a `Sink` in a transformer or hand it
/// to another thread: the host refuses such writes with SY_E_HANDLE). `write` copies.
public struct Sink {
    let handle: sy_sink
    let host: PluginHost

    init(_ handle: sy_sink, host: PluginHost) {
        self.handle = handle
        self.host = host
    }

    /// The host's answer to one write: SY_OK; SY_E_CANCELLED once the client has gone away;
    /// SY_E_INVALID when the host refused the bytes (not JSON, a second whole response, a malformed
    /// usage record: the call has failed); SY_E_HANDLE for a sink used outside its hook.
    public func send(kind: UInt32, _ bytes: UnsafeRawBufferPointer) -> sy_status {
        let data = sy_bytes(ptr: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), len: bytes.count)
        return host.api.pointee.sink_write(host.instance, handle, kind, data)
    }

    /// True when the host took the write; false when the plugin should stop (see `send`).
    @discardableResult
    public func write(kind: UInt32, _ bytes: UnsafeRawBufferPointer) -> Bool { send(kind: kind, bytes) == SY_OK }

    /// One canonical JSON object: a whole response, or one stream chunk.
    @discardableResult
    public func json(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write(kind: SY_OUT_JSON, $0) } }

    @discardableResult
    public func json(_ bytes: UnsafeRawBufferPointer) -> Bool { write(kind: SY_OUT_JSON, bytes) }

    /// Usage and attributes for metering, e.g. `{"usage":{...}}`.
    @discardableResult
    public func meta(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write(kind: SY_OUT_META_JSON, $0) } }

    /// Opaque bytes (`SY_OUT_BYTES`), e.g. a part of a batch's create body.
    @discardableResult
    public func bytes(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write(kind: SY_OUT_BYTES, $0) } }

    /// An OpenAI-shaped error object for the client.
    @discardableResult
    public func error(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write(kind: SY_OUT_ERROR_JSON, $0) } }
}

/// The host's builder for the upstream request: a `sy_http_out` handle, valid only on the thread
/// running `prepare` (or `passthrough`) and only until it returns. In `passthrough` the host
/// refuses `setMethod` and `appendBody` (the client's method and body are forwarded) and the call
/// fails.
public struct UpstreamRequestBuilder {
    let handle: sy_http_out
    let host: PluginHost

    public func setMethod(_ method: String) { _ = with(method) { host.api.pointee.http_out_set_method(host.instance, handle, $0) } }
    public func setURL(_ url: String) { _ = with(url) { host.api.pointee.http_out_set_url(host.instance, handle, $0) } }

    public func addHeader(_ name: String, _ value: String) {
        with(name) { name in with(value) { value in _ = host.api.pointee.http_out_add_header(host.instance, handle, name, value) } }
    }

    public func appendBody(_ bytes: UnsafeRawBufferPointer) {
        let data = sy_bytes(ptr: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), len: bytes.count)
        _ = host.api.pointee.http_out_append_body(host.instance, handle, data)
    }

    public func appendBody(_ bytes: [UInt8]) { bytes.withUnsafeBytes { appendBody($0) } }
}

/// Borrows a string's UTF-8 as `sy_bytes` for the duration of `body`.
@inline(__always)
func with<R>(_ text: String, _ body: (sy_bytes) -> R) -> R {
    var text = text
    return text.withUTF8 { body(sy_bytes(ptr: $0.baseAddress, len: $0.count)) }
}

extension sy_bytes {
    /// A borrowed view; valid only while the host's call lasts.
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: ptr, count: len) }
    public var string: String { String(decoding: buffer, as: UTF8.self) }
}
