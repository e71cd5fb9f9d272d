import Foundation
import SwitchyardHTTP
import SwitchyardPosix

/// A blocking test client on a raw socket: sends exact bytes, reads exact responses.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw IOError("connect") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends every byte, blocking as needed; false when the connection fails on the way
    /// (EPIPE / ECONNRESET: the server closed without reading).
    func sendAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }

    /// Reads more bytes; false on close, timeout or error.
    @discardableResult
    func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }

    /// `fill` with a shorter receive timeout: false when nothing arrived within `timeout` seconds.
    func fill(timeout: Double) -> Bool {
        var short = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &short, socklen_t(MemoryLayout<timeval>.size))
        defer {
            var normal = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &normal, socklen_t(MemoryLayout<timeval>.size))
        }
        return fill()
    }

    struct Response {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]
        let chunks: [String]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Reads one whole response (Content-Length or chunked; none for 204, 304 and answers to
    /// HEAD); nil if the connection ends first.
    func readResponse(toHEAD: Bool = false) -> Response? {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
                var headers: [String: String] = [:]
                for line in lines {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    headers[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
                }
                if status == 100 { buffer.removeFirst(end + 4); continue }
                var offset = end + 4
                if toHEAD || status == 204 || status == 304 {
                    buffer.removeFirst(offset)
                    return Response(status: status, headers: headers, body: [], chunks: [])
                }
                if let length = headers["content-length"].flatMap(Int.init) {
                    while buffer.count < offset + length { guard fill() else { return nil } }
                    let body = Array(buffer[offset..<(offset + length)])
                    buffer.removeFirst(offset + length)
                    return Response(status: status, headers: headers, body: body, chunks: [])
                }
                var body: [UInt8] = []
                var chunks: [String] = []
                while true {
                    while find([13, 10], from: offset) == nil { guard fill() else { return nil } }
                    let lineEnd = find([13, 10], from: offset)!
                    let size = Int(String(decoding: buffer[offset..<lineEnd], as: UTF8.self), radix: 16) ?? 0
                    while buffer.count < lineEnd + 2 + size + 2 { guard fill() else { return nil } }
                    let data = Array(buffer[(lineEnd + 2)..<(lineEnd + 2 + size)])
                    offset = lineEnd + 2 + size + 2
                    if size == 0 { break }
                    body += data
                    chunks.append(String(decoding: data, as: UTF8.self))
                }
                buffer.removeFirst(offset)
                return Response(status: status, headers: headers, body: body, chunks: chunks)
            }
            guard fill() else { return nil }
        }
    }

    /// Bytes received but not yet taken by `readResponse`.
    var unread: [UInt8] { buffer }

    /// Sends the first `count` bytes of the test pattern (byte i is i % 251) from `offset`,
    /// blocking as needed; false when the connection fails on the way.
    func sendPattern(_ count: Int, from offset: Int = 0) -> Bool {
        var sent = 0
        while sent < count {
            let piece = min(count - sent, 256 * 1024)
            let ok = Pattern.slice(at: offset + sent, count: piece).withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.send(fd, raw.baseAddress! + done, raw.count - done, Int32(MSG_NOSIGNAL))
                    if n <= 0 { return false }
                    done += n
                }
                return true
            }
            guard ok else { return false }
            sent += piece
        }
        return true
    }

    /// True once the server has closed the connection (reads hit end of file).
    func isClosedByServer() -> Bool {
        while fill() {}
        var probe: UInt8 = 0
        return recv(fd, &probe, 1, 0) == 0
    }

    private func find(_ pattern: [UInt8], from start: Int = 0) -> Int? {
        guard buffer.count >= start + pattern.count else { return nil }
        for index in start...(buffer.count - pattern.count) where Array(buffer[index..<(index + pattern.count)]) == pattern {
            return index
        }
        return nil
    }
}

/// A responder for tests: echoes the request as JSON-ish text, or streams on /stream.
final class TestResponder: HTTPResponder, @unchecked Sendable {
    let lock = NSLock()
    private var _closedStreams = 0
    var closedStreams: Int { lock.withLock { _closedStreams } }

    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        switch request.path {
        case "/stream":
            let count = Int(request.query?.split(separator: "=").last ?? "3") ?? 3
            writer.onClose = { [self] _ in lock.withLock { _closedStreams += 1 } }
            writer.startStream(status: 200, headers: HTTPHeaders([("Content-Type", "text/event-stream")]))
            var sent = 0
            func next() {
                guard !writer.isClosed else { return }
                if sent == count { writer.finish(); return }
                writer.write(Array("data: \(sent)\n\n".utf8))
                sent += 1
                writer.loop.schedule(after: 20_000_000) { next() }
            }
            next()
        default:
            let text = "\(request.method) \(request.path) body=\(request.body.count) id=\(request.requestID)"
            writer.send(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: Array(text.utf8))
        }
    }
}

func withServer(_ configure: (inout HTTPServerConfiguration) -> Void = { _ in }, _ body: (HTTPServer, TestResponder) throws -> Void) throws {
    var configuration = HTTPServerConfiguration()
    configuration.loops = 2
    configure(&configuration)
    let responder = TestResponder()
    let server = try HTTPServer(configuration: configuration, responder: responder)
    try server.start()
    defer { server.shutdown(grace: 1_000_000_000) }
    try body(server, responder)
}
