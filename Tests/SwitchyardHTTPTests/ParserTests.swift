import Foundation
import SwitchyardHTTP
import Testing

/// Table tests and request-smuggling probes through a real socket: each malformed request must
/// be refused with the right status and the connection closed, never parsed "leniently".
@Suite(.serialized) struct ParserTests {
    static let refused: [(String, Int, String)] = [
        ("GET / HTTP/1.1\r\n\r\n", 400, "missing Host"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Hosts"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "CL + TE"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400, "duplicate CL"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabc", 400, "CL list"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "negative CL"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400, "signed CL"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "unsupported coding"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 501, "chunked not last"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n", 400, "space before colon"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", 400, "obs-fold"),
        ("GET / HTTP/1.1\nHost: x\r\n\r\n", 400, "bare LF"),
        ("GET / HTTP/1.1\r\nHost: x\rY: 1\r\n\r\n", 400, "bare CR"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{01}b\r\n\r\n", 400, "control char in value"),
        ("GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad method"),
        ("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "space in target"),
        ("GET relative HTTP/1.1\r\nHost: x\r\n\r\n", 400, "relative target"),
        ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "version"),
        ("GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400, "garbage version"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad chunk size"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400, "chunk without CRLF"),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "TE in HTTP/1.0"),
        ("POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417, "unknown expectation"),
    ]

    @Test func malformedRequestsAreRefusedAndTheConnectionClosed() throws {
        try withServer { server, _ in
            for (request, status, label) in Self.refused {
                let client = try RawClient(port: server.port)
                client.send(request)
                let response = client.readResponse()
                #expect(response?.status == status, "\(label)")
                #expect(response?.text.contains("\"error\"") == true, "\(label)")
                #expect(client.isClosedByServer(), "\(label)")
            }
        }
    }

    @Test func oversizeBodiesAndHeadersAreRefused() throws {
        try withServer({ $0.maxBodyBytes = 16; $0.maxHeaderBytes = 1024; $0.maxHeaderCount = 10 }) { server, _ in
            var client = try RawClient(port: server.port)
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n")
            #expect(client.readResponse()?.status == 413)

            client = try RawClient(port: server.port)
            client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nX\r\n0\r\n\r\n")
            #expect(client.readResponse()?.status == 413)

            client = try RawClient(port: server.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n")
            #expect(client.readResponse()?.status == 431)

            client = try RawClient(port: server.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\n" + (0..<11).map { "X-\($0): v\r\n" }.joined() + "\r\n")
            #expect(client.readResponse()?.status == 431)

            // Blank lines before a request count too: the server must not buffer them unbounded.
            client = try RawClient(port: server.port)
            client.send(String(repeating: "\r\n", count: 1024))
            #expect(client.readResponse()?.status == 431)
        }
    }

    @Test func absoluteFormTargetsAreAccepted() throws {
        try withServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET http://example.test/v1/models?x=1 HTTP/1.1\r\nHost: example.test\r\n\r\n")
            #expect(client.readResponse()?.text.hasPrefix("GET /v1/models") == true)
        }
    }

    /// Seeded mutations of valid requests: the server never crashes and answers either 200 or a
    /// 4xx/5xx error for each (or closes the connection), within bounded time.
    @Test func fuzzedRequestsNeverCrashTheServer() throws {
        let seeds = [
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "GET /a?b=c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ]
        var generator = SplitMix(seed: 0x5eed)
        try withServer({ $0.headerTimeout = 300_000_000; $0.bodyTimeout = 300_000_000 }) { server, _ in
            for round in 0..<300 {
                var bytes = Array(seeds[round % seeds.count].utf8)
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let position = Int(generator.next() % UInt64(bytes.count))
                    switch generator.next() % 3 {
                    case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                    case 1: bytes.remove(at: position)
                    default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                    }
                }
                let client = try RawClient(port: server.port)
                client.send(bytes)
                shutdown(client.fd, Int32(SHUT_WR))
                if let response = client.readResponse() {
                    #expect(response.status == 200 || (400...505).contains(response.status))
                }
            }
            // Still serving.
            let client = try RawClient(port: server.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponse()?.status == 200)
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
