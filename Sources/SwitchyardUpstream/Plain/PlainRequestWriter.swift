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
        out.reserveCapacity(256 + request.body.count)
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

    private static let framingFields: [StaticString] = [
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "upgrade",
    ]

    private static func isFramingField(_ name: String) -> Bool {
        name.utf8.count <= 17 && framingFields.contains { equalsIgnoringCase(name, $0) }
    }
}
