import CSwitchyardPlugin

/// The host's token for one request (`sy_call`), and the call services behind it. A token, not
/// a pointer: after the call has ended every method answers safely (cancelled, no metadata,
/// `send` refused).
public struct PluginCall: @unchecked Sendable, Hashable {
    public let handle: sy_call?
    let host: PluginHost

    init(_ handle: sy_call?, host: PluginHost) {
        self.handle = handle
        self.host = host
    }

    /// A stable number for the call while it lives (a key for per-call state).
    public var id: UInt { handle.map { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer($0))) } ?? 0 }

    public static func == (a: PluginCall, b: PluginCall) -> Bool { a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// The client has gone away (or the call has ended): stop work for it.
    public var isCancelled: Bool { host.api.pointee.call_cancelled(handle) != 0 }

    /// The plan's facts: request_id, endpoint, mode, model, requested_model, provider, attempt,
    /// stream. Call it on the hook's thread.
    public func metadata() -> JSONValue? {
        let bytes = host.api.pointee.call_metadata(handle)
        guard bytes.len > 0 else { return nil }
        return try? JSONValue.parse(bytes.buffer)
    }

    /// A log line naming the plugin entry and this request.
    public func log(_ level: PluginHost.Level, _ message: String) {
        guard host.api.pointee.log_enabled(host.instance, level.rawValue) != 0 else { return }
        with(message) { host.api.pointee.log(host.instance, handle, level.rawValue, $0) }
    }

    /// An out-of-band HTTP request through the host (a path such as "/v1/chat/completions" goes
    /// to this gateway itself). Call it in a hook that runs on the event loop (not one declared
    /// blocking: SY_E_HANDLE) or from the completion of an earlier `send`. The response is
    /// collected (at most `maxResponseBytes`, else SY_E_TOO_SMALL) and `completion` runs once, on
    /// the request's event loop, never inside `send`. Returns SY_OK when the request started;
    /// otherwise `completion` never runs.
    @discardableResult
    public func send(_ request: OutboundRequest, maxResponseBytes: Int = 1 << 20,
                     completion: @escaping @Sendable (OutboundResponse) -> Void) -> sy_status {
        let exchange = OutboundExchange(limit: maxResponseBytes, completion: completion)
        let context = Unmanaged.passRetained(exchange).toOpaque()
        exchange.handler.pointee.ctx = context
        var storage: [UInt8] = []
        var spans: [(Range<Int>, Range<Int>)] = []
        for (name, value) in request.headers {
            let nameStart = storage.count
            storage += name.utf8
            let valueStart = storage.count
            storage += value.utf8
            spans.append((nameStart..<valueStart, valueStart..<storage.count))
        }
        let method = Array(request.method.utf8), url = Array(request.url.utf8)
        let status: sy_status = storage.withUnsafeBufferPointer { headerBytes in
            let headers = spans.map { span in
                sy_header(name: sy_bytes(ptr: headerBytes.baseAddress.map { $0 + span.0.lowerBound }, len: span.0.count),
                          value: sy_bytes(ptr: headerBytes.baseAddress.map { $0 + span.1.lowerBound }, len: span.1.count))
            }
            return method.withUnsafeBufferPointer { m in url.withUnsafeBufferPointer { u in request.body.withUnsafeBufferPointer { b in
                headers.withUnsafeBufferPointer { h in
                    var r = sy_http_request(
                        struct_size: UInt32(MemoryLayout<sy_http_request>.size), timeout_ms: request.timeoutMilliseconds,
                        method: sy_bytes(ptr: m.baseAddress, len: m.count), url: sy_bytes(ptr: u.baseAddress, len: u.count),
                        body: sy_bytes(ptr: b.baseAddress, len: b.count), headers: h.baseAddress, header_count: h.count)
                    var id: UInt64 = 0
                    return host.api.pointee.http_send(host.instance, handle, &r, exchange.handler, &id)
                }
            } } }
        }
        if status != SY_OK { Unmanaged<OutboundExchange>.fromOpaque(context).release() }
        return status
    }
}

public struct OutboundRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// 0 = the host's default.
    public var timeoutMilliseconds: UInt32

    public init(method: String = "POST", url: String, headers: [(String, String)] = [], body: [UInt8] = [], timeoutMilliseconds: UInt32 = 0) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

public struct OutboundResponse: Sendable {
    /// SY_OK, or why the exchange failed (SY_E_TIMEOUT, SY_E_CANCELLED, SY_E_UPSTREAM,
    /// SY_E_TOO_SMALL when the body passed the limit).
    public let result: sy_status
    /// 0 when no response head arrived.
    public let status: Int
    public let body: [UInt8]
}

/// One `http_send` in flight: the C handler table (which must outlive the request) and the
/// body collected so far. Retained by the host's `ctx` until `on_done`.
final class OutboundExchange: @unchecked Sendable {  // callbacks for one request are serialized by the host
    let handler: UnsafeMutablePointer<sy_http_handler>
    let limit: Int
    let completion: @Sendable (OutboundResponse) -> Void
    var status = 0
    var body: [UInt8] = []
    var overflowed = false

    init(limit: Int, completion: @escaping @Sendable (OutboundResponse) -> Void) {
        self.limit = limit
        self.completion = completion
        handler = .allocate(capacity: 1)
        handler.initialize(to: sy_http_handler(
            struct_size: UInt32(MemoryLayout<sy_http_handler>.size), ctx: nil,
            on_headers: { ctx, _, status, _, _ in
                Unmanaged<OutboundExchange>.fromOpaque(ctx!).takeUnretainedValue().status = Int(status)
            },
            on_data: { ctx, _, chunk in
                let exchange = Unmanaged<OutboundExchange>.fromOpaque(ctx!).takeUnretainedValue()
                guard exchange.body.count + chunk.len <= exchange.limit else {
                    exchange.overflowed = true
                    return SY_E_TOO_SMALL
                }
                exchange.body.append(contentsOf: chunk.buffer)
                return SY_OK
            },
            on_done: { ctx, _, result in
                let exchange = Unmanaged<OutboundExchange>.fromOpaque(ctx!).takeRetainedValue()
                let outcome = exchange.overflowed ? SY_E_TOO_SMALL : result
                exchange.completion(OutboundResponse(result: outcome, status: exchange.status, body: exchange.body))
            }))
    }

    deinit { handler.deallocate() }
}
