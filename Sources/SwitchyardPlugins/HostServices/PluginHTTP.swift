import CSwitchyardPlugin
import Synchronization

/// An out-of-band HTTP request a plugin sent through `http_send` (e.g. an OAuth token fetch),
/// copied out of the plugin's borrowed structs (and checked), so the gateway may keep it.
public struct PluginHTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// 0 = the host's default.
    public var timeoutMilliseconds: UInt32

    public init(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8], timeoutMilliseconds: UInt32) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// The plugin's `sy_http_handler` for one out-of-band request, wrapped for the gateway.
/// The gateway delivers `headers`, then `data`*, then `done` exactly once; calls are serialized,
/// run on a host thread, and never inline inside `http_send`. `done` is idempotent here (a
/// second call is ignored) so a cancel racing completion cannot call the plugin twice. The
/// plugin's table stays valid until `done` (the ABI's promise), which is why every method is a
/// no-op afterwards. Holds its call until `done`.
public final class PluginHTTPHandler: @unchecked Sendable {  // immutable but for the atomic
    public let requestID: UInt64
    private let table: UnsafePointer<sy_http_handler>
    public let call: PluginCall
    /// The instance that sent it: only it may cancel it.
    private let sender: UInt
    private let finished = Atomic<Bool>(false)

    init(requestID: UInt64, table: UnsafePointer<sy_http_handler>, call: PluginCall, sender: sy_hinst?) {
        self.requestID = requestID
        self.table = table
        self.call = call
        self.sender = sender.map { UInt(bitPattern: $0) } ?? 0
    }

    public var isFinished: Bool { finished.load(ordering: .acquiring) }

    public func headers(status: Int, _ headers: [(name: String, value: String)]) {
        guard !finished.load(ordering: .acquiring), let onHeaders = table.pointee.on_headers else { return }
        lendHeaders(headers) { raw, count in onHeaders(table.pointee.ctx, requestID, UInt32(clamping: status), raw, count) }
    }

    /// Hands one body chunk to the plugin; a negative status means the plugin aborts the
    /// request (the gateway cancels it and then calls `done`).
    public func data(_ chunk: UnsafeRawBufferPointer) -> sy_status {
        guard !finished.load(ordering: .acquiring) else { return SY_E_CANCELLED }
        guard let onData = table.pointee.on_data else { return SY_OK }
        return onData(table.pointee.ctx, requestID, sy_bytes(ptr: chunk.baseAddress?.assumingMemoryBound(to: UInt8.self), len: chunk.count))
    }

    /// The request is over (SY_OK, SY_E_UPSTREAM, SY_E_TIMEOUT, SY_E_CANCELLED ...).
    public func done(_ status: sy_status) {
        guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Self.inFlight.withLock { _ = $0.removeValue(forKey: requestID) }
        table.pointee.on_done(table.pointee.ctx, requestID, status)
    }

    // MARK: the host functions

    private static let inFlight = Mutex<[UInt64: PluginHTTPHandler]>([:])
    private static let nextID = Atomic<UInt64>(0)

    /// `http_send`: validates and copies the request, then hands it to the call's loop.
    static func send(_ hinst: sy_hinst?, _ callHandle: sy_call?, _ request: UnsafePointer<sy_http_request>?,
                     _ handler: UnsafePointer<sy_http_handler>?, _ outRequest: UnsafeMutablePointer<UInt64>?) -> sy_status {
        guard callHandle != nil else { return SY_E_UNSUPPORTED }
        // A handle that no longer resolves belongs to a call that has ended.
        guard let call = PluginCall.from(callHandle) else { return SY_E_CANCELLED }
        guard let http = call.http else { return SY_E_UNSUPPORTED }
        guard let request, let handler,
              request.pointee.struct_size >= UInt32(MemoryLayout<sy_http_request>.size),
              handler.pointee.struct_size >= UInt32(MemoryLayout<sy_http_handler>.size),
              handler.pointee.on_done != nil,
              let copy = PluginHTTPRequest(request.pointee)
        else { return SY_E_INVALID }
        // Marked before the check: a `cancel()` racing this either sees the mark (and cancels
        // what runs) or is seen here.
        call.sent()
        if call.isCancelled { return SY_E_CANCELLED }
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let wrapped = PluginHTTPHandler(requestID: id, table: handler, call: call, sender: hinst)
        inFlight.withLock { $0[id] = wrapped }
        let status = http.send(copy, handler: wrapped, for: call)
        guard status == SY_OK else {
            // The plugin is told the request did not start; its handler is never called.
            wrapped.finished.store(true, ordering: .releasing)
            inFlight.withLock { _ = $0.removeValue(forKey: id) }
            return status
        }
        outRequest?.pointee = id
        return SY_OK
    }

    /// `http_cancel`: unknown or finished ids, and ids another instance sent, are ignored.
    static func cancel(_ hinst: sy_hinst?, _ id: UInt64) {
        guard let handler = inFlight.withLock({ $0[id] }),
              handler.sender == (hinst.map { UInt(bitPattern: $0) } ?? 0)
        else { return }
        handler.call.http?.cancel(id, of: handler.call)
    }
}

extension PluginHTTPRequest {
    /// A copy of the plugin's borrowed request; nil when it cannot be sent: a method that is not
    /// an HTTP token (empty means GET), a URL that is neither an absolute http(s) URL nor a path
    /// ("/v1/..."), a header name that is not a token or a value with CR, LF or NUL.
    init?(_ r: sy_http_request) {
        guard r.header_count == 0 || r.headers != nil, r.header_count >= 0, r.header_count <= 1000,
              r.body.ptr != nil || r.body.len == 0
        else { return nil }
        var method = r.method.string
        if method.isEmpty { method = "GET" }
        guard method.utf8.allSatisfy(UpstreamRequestBuilder.isTokenByte) else { return nil }
        let url = r.url.string
        guard Self.isSendable(url) else { return nil }
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(r.header_count)
        for index in 0..<r.header_count {
            let (name, value) = (r.headers[index].name.string, r.headers[index].value.string)
            guard !name.isEmpty, name.utf8.allSatisfy(UpstreamRequestBuilder.isTokenByte),
                  !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
            else { return nil }
            headers.append((name, value))
        }
        self.init(method: method, url: url, headers: headers, body: Array(r.body.raw), timeoutMilliseconds: r.timeout_ms)
    }

    /// True for a path of this gateway ("/v1/chat/completions"), false for an absolute URL.
    public var isGatewayPath: Bool { url.utf8.first == UInt8(ascii: "/") }

    private static func isSendable(_ url: String) -> Bool {
        guard !url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return false }
        let lower = url.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") { return url.utf8.count > 8 }
        // A path, not a scheme-relative "//host/..." URL.
        return url.hasPrefix("/") && !url.hasPrefix("//")
    }
}

extension sy_bytes {
    /// The bytes, empty when `ptr` is NULL or the length is past `Int.max` (an untrusted plugin
    /// may pass either; `size_t` arrives as `Int`, so a huge length reads as negative).
    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: ptr, count: ptr == nil || len < 0 ? 0 : len) }
    /// The bytes as a String (invalid UTF-8 repaired).
    var string: String { String(decoding: raw, as: UTF8.self) }
}

/// Lends `headers` to C as a `sy_header` array for the duration of `body`: one contiguous byte
/// buffer for every name and value, plus the array.
func lendHeaders<R>(_ headers: [(name: String, value: String)], _ body: (UnsafePointer<sy_header>?, Int) -> R) -> R {
    var storage: [UInt8] = []
    storage.reserveCapacity(headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count })
    var spans: [(name: Range<Int>, value: Range<Int>)] = []
    spans.reserveCapacity(headers.count)
    for (name, value) in headers {
        let nameStart = storage.count
        storage.append(contentsOf: name.utf8)
        let valueStart = storage.count
        storage.append(contentsOf: value.utf8)
        spans.append((nameStart..<valueStart, valueStart..<storage.count))
    }
    return storage.withUnsafeBufferPointer { bytes in
        let base = bytes.baseAddress
        let entries = spans.map { span in
            sy_header(name: sy_bytes(ptr: base.map { $0 + span.name.lowerBound }, len: span.name.count),
                      value: sy_bytes(ptr: base.map { $0 + span.value.lowerBound }, len: span.value.count))
        }
        return entries.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
    }
}
