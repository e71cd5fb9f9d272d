import SwitchyardPosix

/// Serializes an `UpstreamRequest` as an HTTP/1.1 request: request line, `Host`, the plugin's
/// fields, `Content-Length`, blank line, body — one buffer, so one send() in the common case.
/// A streamed body (`bodySource`) is announced (its Content-Length, or chunked) but not
/// included: `PlainBodyPump` sends it after the head.
///
/// Framing is ours: fields that would change it (Host, Content-Length, Transfer-Encoding,
/// Connection, Keep-Alive, TE, Upgrade) are not taken from the plugin.
enum PlainRequestWriter {
    static func bytes(_ request: UpstreamRequest, target: PlainTarget) -> [UInt8] {
        var out: [UInt8] = []
        // Room for a typical head (request line, Host, a provider's few fields, X-Request-ID and
        // traceparent): growing past it would copy the body once more.
        out.reserveCapacity(512 + request.body.count)
        out.appendUTF8(request.method)
        out.append(UInt8(ascii: " "))
        out.appendUTF8(target.requestTarget)
        out.append(contentsOf: " HTTP/1.1\r\nHost: ".utf8)
        out.appendUTF8(target.hostField)
        out.append(contentsOf: "\r\n".utf8)
        for (name, value) in request.headers where !isFramingField(name) {
            out.appendUTF8(name)
            out.append(contentsOf: value.isEmpty ? ":".utf8 : ": ".utf8)
            out.appendUTF8(value)
            out.append(contentsOf: "\r\n".utf8)
        }
        if let source = request.bodySource, request.method != "HEAD" {
            if let length = source.length {
                out.append(contentsOf: "Content-Length: ".utf8)
                out.appendUTF8(String(length))
                out.append(contentsOf: "\r\n\r\n".utf8)
            } else {
                out.append(contentsOf: "Transfer-Encoding: chunked\r\n\r\n".utf8)
            }
            return out
        }
        let sendsBody = request.method != "GET" && request.method != "HEAD"
        if sendsBody {
            out.append(contentsOf: "Content-Length: ".utf8)
            out.appendUTF8(String(request.body.count))
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if sendsBody { out.append(contentsOf: request.body) }
        return out
    }

    /// By length first (`utf8.count` is O(1) on a native string, and no field a provider sends
    /// every time has the length of a framing one), so the common header costs one switch
    /// instead of seven case-insensitive compares.
    private static func isFramingField(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: equalsIgnoringCase(name, "te")
        case 4: equalsIgnoringCase(name, "host")
        case 7: equalsIgnoringCase(name, "upgrade")
        case 10: equalsIgnoringCase(name, "connection") || equalsIgnoringCase(name, "keep-alive")
        case 14: equalsIgnoringCase(name, "content-length")
        case 17: equalsIgnoringCase(name, "transfer-encoding")
        default: false
        }
    }
}
