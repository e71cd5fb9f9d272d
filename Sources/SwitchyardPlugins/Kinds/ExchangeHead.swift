import CSwitchyardPlugin

/// One head of a passthrough or native exchange as an enricher sees it (`sy_exchange_head`): the
/// request head as forwarded upstream (credentials removed, `status` 0), or the response head as
/// the upstream sent it.
public struct ExchangeHead {
    /// The upstream's HTTP status on a response head; 0 on a request head.
    public var status: Int
    /// "POST", "GET", ...
    public var method: String
    /// As sent upstream, query included: "/v1/chat/completions?x=1".
    public var path: String
    public var headers: [(name: String, value: String)]

    public init(status: Int = 0, method: String, path: String, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.method = method
        self.path = path
        self.headers = headers
    }

    /// Lends the head as a `sy_exchange_head` for the duration of `body` (the plugin borrows it
    /// for one hook). Copies the headers into one buffer: once per head, never per chunk.
    func withHead<R>(_ body: (UnsafePointer<sy_exchange_head>) -> R) -> R {
        var method = method
        var path = path
        return method.withUTF8 { method in
            path.withUTF8 { path in
                lendHeaders(headers) { headers, count in
                    var head = sy_exchange_head(
                        struct_size: UInt32(MemoryLayout<sy_exchange_head>.size), http_status: UInt32(clamping: status),
                        method: UnsafeRawBufferPointer(method).syBytes, path: UnsafeRawBufferPointer(path).syBytes,
                        headers: headers, header_count: count)
                    return body(&head)
                }
            }
        }
    }
}
