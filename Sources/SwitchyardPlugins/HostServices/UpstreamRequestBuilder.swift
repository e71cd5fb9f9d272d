import CSwitchyardPlugin

/// Collects the upstream request a provider describes through `sy_http_out` in `prepare`.
/// Every setter copies (the plugin's bytes are only borrowed) and checks what it is given: an
/// absolute http(s) URL, a token method, header names and values that cannot smuggle a line
/// break into the request head. A refused value returns SY_E_INVALID to the plugin and is
/// remembered in `problem`, so the host can say what was wrong.
///
/// Threading: confined to the thread running `prepare`. Reusable: `reset()` keeps capacity.
public final class UpstreamRequestBuilder {
    public private(set) var method = "POST"
    public private(set) var url = ""
    public private(set) var headers: [(name: String, value: String)] = []
    public private(set) var body: [UInt8] = []
    /// The first value the plugin tried to set that was refused, if any.
    public private(set) var problem: String?

    public init() {}

    public func reset() {
        method = "POST"
        url = ""
        headers.removeAll(keepingCapacity: true)
        body.removeAll(keepingCapacity: true)
        problem = nil
    }

    /// Lends `body` a `sy_http_out` bound to this builder for the duration of `body` only.
    public func withHTTPOut<R>(_ body: (UnsafePointer<sy_http_out>) -> R) -> R {
        withExtendedLifetime(self) {
            var out = sy_http_out(
                struct_size: UInt32(MemoryLayout<sy_http_out>.size),
                ctx: Unmanaged.passUnretained(self).toOpaque(),
                set_method: { ctx, value in builder(ctx)?.setMethod(value) ?? SY_E_INVALID },
                set_url: { ctx, value in builder(ctx)?.setURL(value) ?? SY_E_INVALID },
                add_header: { ctx, name, value in builder(ctx)?.addHeader(name, value) ?? SY_E_INVALID },
                append_body: { ctx, value in builder(ctx)?.appendBody(value) ?? SY_E_INVALID })
            return body(&out)
        }
    }

    func setMethod(_ value: sy_bytes) -> sy_status {
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
        if value.ptr == nil && value.len != 0 { return refuse("append_body got NULL with a length") }
        body.append(contentsOf: value.raw)
        return SY_OK
    }

    private func refuse(_ message: String) -> sy_status {
        if problem == nil { problem = message }
        return SY_E_INVALID
    }

    /// RFC 9110 tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }
}

@inline(__always)
private func builder(_ ctx: UnsafeMutableRawPointer?) -> UpstreamRequestBuilder? {
    ctx.map { Unmanaged<UpstreamRequestBuilder>.fromOpaque($0).takeUnretainedValue() }
}
