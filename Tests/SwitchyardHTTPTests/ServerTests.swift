import Foundation
import SwitchyardHTTP
import Testing

@Suite(.serialized) struct ServerTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        try withServer { server, _ in
            let client = try RawClient(port: server.port)
            for index in 0..<3 {
                client.send("GET /hello/\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try #require(client.readResponse())
                #expect(response.status == 200)
                #expect(response.text.hasPrefix("GET /hello/\(index) body=0"))
                #expect(response.headers["x-request-id"]?.hasPrefix("req_") == true)
                #expect(response.headers["date"] != nil)
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        try withServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nPOST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            #expect(client.readResponse()?.text.hasPrefix("GET /a") == true)
            #expect(client.readResponse()?.text.hasPrefix("GET /b") == true)
            #expect(client.readResponse()?.text.hasPrefix("POST /c body=3") == true)
        }
    }

    @Test func chunkedRequestBodyIsDecoded() throws {
        try withServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
            #expect(client.readResponse()?.text.hasPrefix("POST /up body=11") == true)
        }
    }

    @Test func clientRequestIDIsEchoedWhenAcceptable() throws {
        try withServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc-123\r\n\r\n")
            #expect(client.readResponse()?.headers["x-request-id"] == "abc-123")
            client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: has space\r\n\r\n")
            #expect(client.readResponse()?.headers["x-request-id"]?.hasPrefix("req_") == true)
        }
    }

    @Test func expectContinueGetsAnInterimResponse() throws {
        try withServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            #expect(client.fill())
            client.send("data")
            #expect(client.readResponse()?.text.hasPrefix("POST /x body=4") == true)
        }
    }

    @Test func expectContinueOverTheLimitGets413WithoutReadingTheBody() throws {
        try withServer({ $0.maxBodyBytes = 10 }) { server, _ in
            let client = try RawClient(port: server.port)
            client.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 413)
            #expect(response.text.contains("\"code\":\"body_too_large\""))
            #expect(client.isClosedByServer())
        }
    }

    @Test func streamsArriveChunkByChunk() throws {
        try withServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET /stream?n=3 HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.headers["transfer-encoding"] == "chunked")
            #expect(response.chunks == ["data: 0\n\n", "data: 1\n\n", "data: 2\n\n"])
        }
    }

    @Test func clientLeavingMidStreamFiresOnClose() throws {
        try withServer { server, responder in
            do {
                let client = try RawClient(port: server.port)
                client.send("GET /stream?n=100 HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(client.fill())
            }
            let deadline = Date().addingTimeInterval(3)
            while responder.closedStreams == 0 && Date() < deadline { usleep(10_000) }
            #expect(responder.closedStreams == 1)
        }
    }

    @Test func shutdownDrainsAnInFlightStream() throws {
        var configuration = HTTPServerConfiguration()
        configuration.loops = 1
        let server = try HTTPServer(configuration: configuration, responder: TestResponder())
        try server.start()
        let client = try RawClient(port: server.port)
        client.send("GET /stream?n=10 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.fill())
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { server.shutdown(grace: 5_000_000_000); done.signal() }
        let response = try #require(client.readResponse())
        #expect(response.chunks.count == 10)
        #expect(client.isClosedByServer())  // the head went out before the drain: closed after the stream
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(throws: (any Error).self) { try RawClient(port: server.port) }
    }

    @Test func headerTimeoutAnswers408() throws {
        try withServer({ $0.headerTimeout = 200_000_000 }) { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\n")  // never finished (slowloris)
            let response = try #require(client.readResponse())
            #expect(response.status == 408)
            #expect(response.text.contains("request_timeout"))
        }
    }

    @Test func slowBodyAnswers408() throws {
        try withServer({ $0.bodyTimeout = 200_000_000 }) { server, _ in
            let client = try RawClient(port: server.port)
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            let response = try #require(client.readResponse())
            #expect(response.status == 408)
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        try withServer({ $0.idleTimeout = 200_000_000 }) { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponse()?.status == 200)
            #expect(client.isClosedByServer())
        }
    }

    @Test func http10ClosesUnlessKeepAlive() throws {
        try withServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET / HTTP/1.0\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.headers["connection"] == "close")
            #expect(client.isClosedByServer())
        }
    }
}

@Suite(.serialized) struct LingeringCloseTests {
    /// A client that keeps uploading an oversize body must read the 413, not a connection reset:
    /// the server drains what it still sends before closing.
    @Test func clientStillUploadingReadsThe413() throws {
        try withServer({ $0.maxBodyBytes = 1024 }) { server, _ in
            let client = try RawClient(port: server.port)
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: 4 * 1024 * 1024)
            client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.1)  // the 413 is written and the server has closed its side
            let sentEverything = client.sendAll(body)
            #expect(sentEverything, "the server reset the connection instead of draining the upload")
            let response = try #require(client.readResponse())
            #expect(response.status == 413)
            #expect(response.text.contains("body_too_large"))
            #expect(client.isClosedByServer())
        }
    }
}
