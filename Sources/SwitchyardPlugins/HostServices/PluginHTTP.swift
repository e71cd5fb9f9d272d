import CSwitchyardPlugin
import Synchronization

/// An out-of-band HTTP request a plugin sent through `http_send` (e.g. an OAuth token fetch),
/// copied out of the plugin's borrowed structs, so the gateway may keep it.
public struct PluginHTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// 0 = the host's default.
    public var timeoutMilliseconds: UInt32
}

/// The plugin's `sy_http_handler` for one out-of-band request, wrapped for the gateway.
/// The gateway delivers `headers`, then `data`*, then `done` exactly once; calls are serialized,
/// run on a host thread, and never inline inside the `httpSend` hook. `done` is idempotent here
/// (a second call is ignored) so a cancel racing completion cannot call the plugin twice.
/// The plugin's table stays valid until `done` (the ABI's promise), which is why every method
/// is a no-op afterwards.
public final class PluginHTTPHandler: @unchecked Sendable {  // immutable but for the atomic and the weak call
    public let requestID: UInt64
    private let table: UnsafePointer<sy_http_handler>
    private weak var call: PluginCall?
    private let finished = Atomic<Bool>(false)

    init(requestID: UInt64, table: UnsafePointer<sy_http_handler>, call: PluginCall) {
        self.requestID = requestID
        self.table = table
        self.call = call
    }

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
        call?.inFlight.withLock { _ = $0.remove(requestID) }
        table.pointee.on_done(table.pointee.ctx, requestID, status)
    }

    // MARK: the host functions

    private static let inFlight = Mutex<[UInt64: PluginHTTPHandler]>([:])
    private static let nextID = Atomic<UInt64>(0)

    /// `http_send`: validates and copies the request, then forwards to the call's hook.
    static func send(_ callHandle: sy_call?, _ request: UnsafePointer<sy_http_request>?,
                     _ handler: UnsafePointer<sy_http_handler>?, _ outRequest: UnsafeMutablePointer<UInt64>?) -> sy_status {
        guard let call = PluginCall.from(callHandle), let hook = call.httpSend else { return SY_E_UNSUPPORTED }
        guard let request, let handler,
              request.pointee.struct_size >= UInt32(MemoryLayout<sy_http_request>.size),
              handler.pointee.struct_size >= UInt32(MemoryLayout<sy_http_handler>.size),
              handler.pointee.on_done != nil
        else { return SY_E_INVALID }
        if call.isCancelled { return SY_E_CANCELLED }
        let r = request.pointee
        guard r.header_count == 0 || r.headers != nil else { return SY_E_INVALID }
        let headers = (0..<r.header_count).map { index in (name: r.headers[index].name.string, value: r.headers[index].value.string) }
        let method = r.method.string
        let copy = PluginHTTPRequest(
            method: method.isEmpty ? "GET" : method, url: r.url.string, headers: headers,
            body: Array(r.body.raw), timeoutMilliseconds: r.timeout_ms)
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let wrapped = PluginHTTPHandler(requestID: id, table: handler, call: call)
        inFlight.withLock { $0[id] = wrapped }
        call.inFlight.withLock { _ = $0.insert(id) }
        let status = hook(call, copy, wrapped)
        guard status == SY_OK else {
            // The plugin is told the request did not start; its handler is never called.
            wrapped.finished.store(true, ordering: .releasing)
            inFlight.withLock { _ = $0.removeValue(forKey: id) }
            call.inFlight.withLock { _ = $0.remove(id) }
            return status
        }
        outRequest?.pointee = id
        return SY_OK
    }

    /// `http_cancel`: unknown or finished ids are ignored.
    static func cancel(_ id: UInt64) {
        guard let handler = inFlight.withLock({ $0[id] }), let call = handler.call else { return }
        call.httpCancel?(call, id)
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
