import Foundation
@testable import SwitchyardUpstream
import Testing

/// The plain-HTTP path against scripted upstreams: body framings, connection reuse and its
/// limits, and the retry of a request whose reused connection the upstream had closed.
@Suite(.serialized) struct PlainHTTPClientTests {
    private func get(_ server: CountingServer, _ harness: ClientHarness, method: String = "GET") -> Recorder {
        let recorder = Recorder()
        harness.start(UpstreamRequest(method: method, url: "http://127.0.0.1:\(server.port)/x", headers: [], body: []), recorder)
        #expect(recorder.wait())
        return recorder
    }

    private static func answer(_ text: String, close: Bool = false) -> CountingServer.Script {
        { _ in (Array(text.utf8), close) }
    }

    @Test func aReusedConnectionClosedByTheUpstreamIsRetriedOnAFreshOne() throws {
        // Each connection answers one request, then closes on the next without a word: what an
        // upstream's keep-alive timeout looks like when it races the client's next request.
        let server = try CountingServer { index in
            index == 0 ? (Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8), false) : nil
        }
        let harness = try ClientHarness(.plain)
        defer { harness.shutdown(); server.stop() }
        for _ in 0..<3 { #expect(get(server, harness).succeeded) }
        #expect(server.requests == 3)
        #expect(server.connections == 3)
    }

    @Test func aFreshConnectionClosedWithoutAnAnswerIsAFailure() throws {
        let server = try CountingServer { _ in nil }
        let harness = try ClientHarness(.plain)
        defer { harness.shutdown(); server.stop() }
        let recorder = get(server, harness)
        #expect(recorder.failure?.message.contains("without a response") == true)
        #expect(server.connections == 1)  // never retried: the upstream may have acted on it
    }

    @Test func chunkedBodyIsUnframed() throws {
        let body = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
        let server = try CountingServer(script: Self.answer(body))
        let harness = try ClientHarness(.plain)
        defer { harness.shutdown(); server.stop() }
        let first = get(server, harness)
        #expect(first.succeeded && first.body == "hello 0123456789")
        #expect(get(server, harness).body == "hello 0123456789")
        #expect(server.connections == 1)
    }

    @Test func closeDelimitedBodyEndsWithTheConnectionAndIsNotReused() throws {
        let server = try CountingServer(script: Self.answer("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", close: true))
        let harness = try ClientHarness(.plain)
        defer { harness.shutdown(); server.stop() }
        #expect(get(server, harness).body == "until close")
        #expect(get(server, harness).body == "until close")
        #expect(server.connections == 2)
        #expect(harness.onLoop { $0.idlePlainConnectionCount } == 0)
    }

    @Test func connectionCloseFieldStopsReuse() throws {
        let server = try CountingServer(script: Self.answer("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", close: true))
        let harness = try ClientHarness(.plain)
        defer { harness.shutdown(); server.stop() }
        #expect(get(server, harness).succeeded)
        #expect(get(server, harness).succeeded)
        #expect(server.connections == 2)
    }

    @Test func noContentAndHEADHaveNoBodyWhateverTheFieldsSay() throws {
        let server = try CountingServer { index in
            (Array((index == 0 ? "HTTP/1.1 204 No Content\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n").utf8), false)
        }
        let harness = try ClientHarness(.plain)
        defer { harness.shutdown(); server.stop() }
        #expect(get(server, harness).status == 204)
        let head = get(server, harness, method: "HEAD")
        #expect(head.succeeded && head.body.isEmpty)
        #expect(server.connections == 1)
    }

    @Test func truncatedBodyIsAFailure() throws {
        let server = try CountingServer(script: Self.answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", close: true))
        let harness = try ClientHarness(.plain)
        defer { harness.shutdown(); server.stop() }
        let recorder = get(server, harness)
        #expect(recorder.body == "short")
        #expect(recorder.failure?.kind == .closed)
        #expect(recorder.failure?.message.contains("mid-response") == true)
    }

    @Test func malformedHeadAndBadFramingAreFailures() throws {
        for answer in ["garbage\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
                       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"] {
            let server = try CountingServer(script: Self.answer(answer, close: true))
            let harness = try ClientHarness(.plain)
            let recorder = get(server, harness)
            #expect(recorder.failure?.kind == .other, "\(answer)")
            harness.shutdown()
            server.stop()
        }
    }

    @Test func framingFieldsFromThePluginAreReplacedByOurs() throws {
        let target = try #require(PlainTarget(url: "http://127.0.0.1:8000/v1/chat?x=1"))
        let request = UpstreamRequest(method: "POST", url: "http://127.0.0.1:8000/v1/chat?x=1",
                                      headers: [("Content-Length", "999"), ("Host", "evil"), ("X-Key", ""), ("Accept", "a/b")], body: Array("{}".utf8))
        let wire = String(decoding: PlainRequestWriter.bytes(request, target: target), as: UTF8.self)
        #expect(wire == "POST /v1/chat?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nX-Key:\r\nAccept: a/b\r\nContent-Length: 2\r\n\r\n{}")
    }

    @Test func onlyLiteralAddressesTakeThePlainPath() {
        #expect(PlainTarget(url: "http://127.0.0.1/")?.origin == "127.0.0.1:80")
        #expect(PlainTarget(url: "HTTP://localhost:8080")?.requestTarget == "/")
        #expect(PlainTarget(url: "http://[::1]:9000/v1?q")?.origin == "::1:9000")
        #expect(PlainTarget(url: "http://127.0.0.1:8080?q=1")?.requestTarget == "/?q=1")
        for url in ["https://127.0.0.1/", "http://api.example.com/", "http://user@127.0.0.1/", "http://127.1/",
                    "http://127.0.0.1:0/", "http://127.0.0.1:99999/", "http://[::1/", "http:///"] {
            #expect(PlainTarget(url: url) == nil, "\(url)")
        }
    }

    @Test func chunkedReaderSurvivesEverySplit() {
        let wire = Array("4\r\nWiki\r\n6;a=b\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nT: 1\r\n\r\n".utf8)
        for split in 1..<wire.count {
            var reader = ChunkedBodyReader()
            var body: [UInt8] = []
            var done = false
            for part in [Array(wire[..<split]), Array(wire[split...])] {
                part.withUnsafeBytes { raw in
                    var offset = 0
                    loop: while true {
                        switch reader.next(raw, &offset) {
                        case .needMore: break loop
                        case .data(let range): body += raw[range]
                        case .done: done = true; break loop
                        case .malformed(let why): Issue.record("split \(split): \(why)"); break loop
                        }
                    }
                }
            }
            #expect(done && String(decoding: body, as: UTF8.self) == "Wikipedia in \r\n\r\nchunks.", "split \(split)")
        }
    }
}

/// An upstream that answers before it has read the request body (a 413, say) leaves half a
/// request on the connection: the plain client must not send the next request after it.
@Suite(.serialized) struct PlainEarlyAnswerTests {
    @Test func aConnectionAnsweredBeforeTheBodyWentOutIsNotReused() throws {
        let server = try EarlyAnswerServer()
        let harness = try ClientHarness(.plain)
        defer { harness.shutdown() }
        // 64 MiB: more than the loopback socket buffers hold, so the body is still going out
        // when the answer arrives (the server answers on the head, then stops reading).
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 20)
        let first = Recorder()
        harness.start(UpstreamRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/upload", headers: [], body: body), first)
        #expect(first.wait(seconds: 20))
        #expect(first.status == 413)
        let second = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/next", headers: [], body: []), second)
        // At once, on a fresh connection (on the old one it would wait for the server to give up
        // on the half-sent body, two seconds, and then be retried).
        #expect(second.wait(seconds: 1.5))
        #expect(second.status == 413 && second.succeeded)
        #expect(server.connections == 2)
    }
}

/// Accepts connections; on each, reads up to the end of the first request head, answers 413,
/// then holds the connection for two seconds without reading another byte.
final class EarlyAnswerServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var accepted = 0

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in
            while true {
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { return }
                lock.withLock { accepted += 1 }
                Thread { Self.answerEarly(fd) }.start()
            }
        }.start()
    }

    deinit { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    var connections: Int { lock.withLock { accepted } }

    private static func answerEarly(_ fd: Int32) {
        var seen: [UInt8] = []
        var byte: UInt8 = 0
        while !seen.suffix(4).elementsEqual([13, 10, 13, 10]), recv(fd, &byte, 1, 0) == 1 { seen.append(byte) }
        let answer = Array("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\n\r\nno".utf8)
        _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        Thread.sleep(forTimeInterval: 2)
        close(fd)
    }
}
