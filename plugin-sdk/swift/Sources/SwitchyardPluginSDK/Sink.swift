import CSwitchyardPlugin

/// The host's output channel for one hook call (borrowed: valid until the hook returns).
/// `write` copies; it returns false once the client has gone away, and the plugin should stop.
public struct Sink {
    let raw: UnsafePointer<sy_sink>

    init(_ raw: UnsafePointer<sy_sink>) { self.raw = raw }

    @discardableResult
    public func write(kind: UInt32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let data = sy_bytes(ptr: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), len: bytes.count)
        return raw.pointee.write(raw.pointee.ctx, kind, data) == SY_OK
    }

    /// One canonical JSON object: a whole response, or one stream chunk.
    @discardableResult
    public func json(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write(kind: SY_OUT_JSON, $0) } }

    @discardableResult
    public func json(_ bytes: UnsafeRawBufferPointer) -> Bool { write(kind: SY_OUT_JSON, bytes) }

    /// Usage and attributes for metering, e.g. `{"usage":{...}}`.
    @discardableResult
    public func meta(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write(kind: SY_OUT_META_JSON, $0) } }

    /// An OpenAI-shaped error object for the client.
    @discardableResult
    public func error(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write(kind: SY_OUT_ERROR_JSON, $0) } }
}

/// The host's builder for the upstream request (borrowed for the duration of `prepare`).
public struct UpstreamRequestBuilder {
    let raw: UnsafePointer<sy_http_out>

    public func setMethod(_ method: String) { _ = with(method) { raw.pointee.set_method(raw.pointee.ctx, $0) } }
    public func setURL(_ url: String) { _ = with(url) { raw.pointee.set_url(raw.pointee.ctx, $0) } }

    public func addHeader(_ name: String, _ value: String) {
        with(name) { name in with(value) { value in _ = raw.pointee.add_header(raw.pointee.ctx, name, value) } }
    }

    public func appendBody(_ bytes: UnsafeRawBufferPointer) {
        _ = raw.pointee.append_body(raw.pointee.ctx, sy_bytes(ptr: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), len: bytes.count))
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
