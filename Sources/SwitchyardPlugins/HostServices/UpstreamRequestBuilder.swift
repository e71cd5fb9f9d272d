import CSwitchyardPlugin

/// Collects the upstream request a provider describes through `sy_http_out` in `prepare` (or in
/// `passthrough`, see `isPassthrough`).
/// Every setter copies (the plugin's bytes are only borrowed) and checks what it is given: an
/// absolute http(s) URL, a token method, header names and values that cannot smuggle a line
/// break into the request head. A refused value returns SY_E_INVALID to the plugin and is
/// remembered in `problem`, so the host can say what was wrong (the request then fails).
///
/// Threading: confined to the thread running `prepare` or `passthrough` (the handle resolves
/// only there).
/// Reusable: `reset()` keeps capacity.
public final class UpstreamRequestBuilder {
    public private(set) var method = "POST"
    public private(set) var url = ""
    /// The headers the plugin set, in order. In passthrough these are the provider's own
    /// (credentials first): the host skips a client header of the same name (ForwardedHeaders).
    public private(set) var headers: [(name: String, value: String)] = []
    public private(set) var body: [UInt8] = []
    /// The first value the plugin tried to set that was refused, if any.
    public private(set) var problem: String?
    /// Lent to a provider's `passthrough` hook: the method is the client's (set by the host) and
    /// the body is the client's, streamed by the host afterwards, so `http_out_set_method` and
    /// `http_out_append_body` are refused; the plugin sets only the URL and its headers.
    public private(set) var isPassthrough = false

    public init() {}

    /// A builder for a passthrough request: `method` is the client's, already checked by the caller.
    init(passthroughMethod method: String) {
        self.method = method
        isPassthrough = true
    }

    public func reset() {
        method = "POST"
        url = ""
        headers.removeAll(keepingCapacity: true)
        body.removeAll(keepingCapacity: true)
        problem = nil
        isPassthrough = false
    }

    /// Lends `body` a `sy_http_out` handle bound to this builder, valid on the calling thread for
    /// the duration of `body` only (`host->http_out_*` with it afterwards get SY_E_HANDLE).
    public func withHTTPOut<R>(_ body: (sy_http_out) -> R) -> R {
        withExtendedLifetime(self) {
            PluginHandles.withHandle(.httpOut, UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()), body)
        }
    }

    func setMethod(_ value: sy_bytes) -> sy_status {
        if isPassthrough { return refuse("http_out_set_method is refused in passthrough (the host forwards the client's method)") }
        let text = value.string
        guard !text.isEmpty, text.utf8.allSatisfy(Self.isTokenByte) else { return refuse("method \"\(text)\" is not an HTTP token") }
        method = text
        return SY_OK
    }

    func setURL(_ value: sy_bytes) -> sy_status {
        let text = value.string
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), text.utf8.count > 8,
              !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F })
        else { return refuse("url \"\(text)\" is not an absolute http(s) URL") }
        url = text
        return SY_OK
    }

    func addHeader(_ name: sy_bytes, _ value: sy_bytes) -> sy_status {
        let (name, value) = (name.string, value.string)
        guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else { return refuse("header name \"\(name)\" is not an HTTP token") }
        guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
            return refuse("header \(name) has a line break or NUL in its value")
        }
        headers.append((name, value))
        return SY_OK
    }

    func appendBody(_ value: sy_bytes) -> sy_status {
        if isPassthrough { return refuse("http_out_append_body is refused in passthrough (the host streams the client's body)") }
        if value.ptr == nil && value.len != 0 { return refuse("append_body got NULL with a length") }
        body.append(contentsOf: value.raw)
        return SY_OK
    }

    private func refuse(_ message: String) -> sy_status {
        if problem == nil { problem = message }
        return SY_E_INVALID
    }

    /// RFC 9110 §5.6.2 token characters (methods, field names).
    public static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }
}

extension PluginHandles {
    /// `host->http_out_*`: the builder behind a live handle, or SY_E_HANDLE.
    static func withBuilder(_ hinst: sy_hinst?, _ function: StaticString, _ out: sy_http_out,
                            _ body: (UpstreamRequestBuilder) -> sy_status) -> sy_status {
        guard let target = resolve(out, .httpOut) else { return refuse(hinst, function, out) }
        return body(Unmanaged<UpstreamRequestBuilder>.fromOpaque(target).takeUnretainedValue())
    }
}
