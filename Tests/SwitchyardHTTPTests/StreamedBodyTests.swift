import Foundation
import SwitchyardHTTP
import Testing

/// Request bodies a responder streams: dispatched at the head, bytes as they arrive through a
/// bounded buffer, backpressure both ways, and every way such a body can end.
@Suite(.serialized) struct StreamedBodyTests {
    /// Waits (bounded) until the responder has been called `count` times.
    func dispatched(_ responder: StreamingResponder, _ count: Int = 1) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while responder.dispatched < count && Date() < deadline { usleep(2_000) }
        return responder.dispatched >= count
    }

    /// Waits (bounded) until the responder has recorded `count` outcomes that satisfy `done`.
    func outcome(_ responder: StreamingResponder, _ index: Int = 0, until done: (StreamOutcome) -> Bool) -> StreamOutcome? {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let outcomes = responder.outcomes
            if outcomes.count > index, done(outcomes[index]) { return outcomes[index] }
            usleep(5_000)
        }
        return nil
    }

    /// Waits (bounded) until the server's body memory in use is `bytes`; the last value seen.
    func bodyMemory(_ server: HTTPServer, reaches bytes: Int) -> Int {
        let deadline = Date().addingTimeInterval(5)
        while server.bodyMemoryInUse != bytes && Date() < deadline { usleep(2_000) }
        return server.bodyMemoryInUse
    }

    @Test func aLargeBodyStreamsThroughABoundedBuffer() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            let size = 256 * 1024 * 1024 + 12_345
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
            #expect(client.sendPattern(size))
            let response = try #require(client.readResponse())
            #expect(response.status == 200)
            #expect(response.text == "bytes=\(size) intact=true")
            let seen = try #require(responder.outcomes.first)
            #expect(seen.declaredLength == size)
            #expect(seen.peak <= seen.capacity)
            #expect(seen.capacity == 256 * 1024)
        }
    }

    @Test func aSlowConsumerHoldsTheClientBack() throws {
        try withStreamingServer({ $0.streamedBodyBufferBytes = 64 * 1024 }) { server, responder in
            let client = try RawClient(port: server.port)
            let size = 4 * 1024 * 1024
            client.send("POST /s/sink?pace_ms=1&piece=32768 HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
            #expect(client.sendPattern(size))
            let response = try #require(client.readResponse())
            #expect(response.text == "bytes=\(size) intact=true")
            let seen = try #require(responder.outcomes.first)
            #expect(seen.stalls > 0, "the buffer never filled: nothing was held back")
            #expect(seen.peak <= 64 * 1024)
        }
    }

    @Test func aChunkedBodyStreamsDecoded() throws {
        try withStreamingServer({ $0.streamedBodyBufferBytes = 16 * 1024 }) { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            var offset = 0
            for size in [1, 100, 70_000, 5, 40_000] {
                client.send(String(size, radix: 16) + ";ext=1\r\n")
                #expect(client.sendPattern(size, from: offset))
                client.send("\r\n")
                offset += size
            }
            client.send("0\r\nX-Trailer: t\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.text == "bytes=\(offset) intact=true")
            let seen = try #require(responder.outcomes.first)
            #expect(seen.declaredLength == nil)
            #expect(seen.peak <= 16 * 1024)
        }
    }

    /// A slow consumer behind a chunked body: the buffer grows from its first step while it
    /// holds bytes that wrap around its end, and every byte comes through in order.
    @Test func aGrowingBufferKeepsTheBodyIntact() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink?pace_ms=1&piece=24000 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            var offset = 0
            for size in [30_000, 70_001, 5, 100_000, 250_000, 1_000_000, 17] {
                client.send(String(size, radix: 16) + "\r\n")
                #expect(client.sendPattern(size, from: offset))
                client.send("\r\n")
                offset += size
            }
            client.send("0\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.text == "bytes=\(offset) intact=true")
            let seen = try #require(responder.outcomes.first)
            #expect(seen.peak > 128 * 1024, "the buffer never grew")
            #expect(seen.peak <= 256 * 1024)
            #expect(bodyMemory(server, reaches: 0) == 0)
        }
    }

    @Test func keepAliveGoesOnAfterStreamedBodiesAndPipelinedBytesStay() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n")
            #expect(client.sendPattern(300_000))
            #expect(client.readResponse()?.text == "bytes=300000 intact=true")
            // A second streamed body, with a buffered request pipelined right behind it.
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n")
            #expect(client.sendPattern(5))
            client.send("\r\n0\r\n\r\nPOST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            #expect(client.readResponse()?.text == "bytes=5 intact=true")
            #expect(client.readResponse()?.text == "POST /plain body=3")
            #expect(responder.outcomes.count == 2)
        }
    }

    @Test func expectContinueIsAnsweredAtTheFirstRead() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
            #expect(client.fill())
            #expect(String(decoding: client.unread, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n\r\n"))
            #expect(dispatched(responder), "dispatched before the body was sent")
            #expect(client.sendPattern(10))
            #expect(client.readResponse()?.text == "bytes=10 intact=true")
        }
    }

    /// The consumer starts reading 300 ms after dispatch: the client is told to go on then, not
    /// before.
    @Test func expectContinueWaitsForTheConsumer() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink?hold_ms=300 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
            #expect(dispatched(responder))
            #expect(client.fill(timeout: 0.15) == false, "100 Continue before anyone read the body")
            #expect(client.fill())
            #expect(String(decoding: client.unread, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
            #expect(client.sendPattern(10))
            #expect(client.readResponse()?.text == "bytes=10 intact=true")
        }
    }

    /// A responder that answers without reading (a 404 for an unknown provider, a 413) never
    /// invites the upload: the final answer comes alone, and no 100 follows it when the
    /// consumer reads the failed stream afterwards.
    @Test func expectContinueIsNotSentWhenTheAnswerComesWithoutReading() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/early HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 413)
            // The consumer read the stream after the response ended (and found it failed).
            #expect(outcome(responder) { $0.failure != nil }?.failure?.code == "response_ended")
            #expect(client.fill(timeout: 0.2) == false)
            #expect(client.unread.isEmpty, "bytes after the final answer: \(String(decoding: client.unread, as: UTF8.self))")
        }
    }

    /// Body bytes sent without waiting for the 100 make it needless: none is sent.
    @Test func expectContinueIsNotSentWhenTheBodyCameAnyway() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink?hold_ms=200 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
            #expect(dispatched(responder))
            #expect(client.sendPattern(10))
            let response = try #require(client.readResponse())
            #expect(response.status == 200)
            #expect(response.text == "bytes=10 intact=true")
        }
    }

    @Test func aDeclaredLengthOverTheLimitIs413BeforeDispatch() throws {
        try withStreamingServer({ $0.maxStreamedBodyBytes = 1024 * 1024; $0.maxBodyBytes = 10 }) { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\nExpect: 100-continue\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 413)
            #expect(response.text.contains("limit of 1048576 bytes"))
            #expect(client.isClosedByServer())
            #expect(responder.dispatched == 0)
        }
    }

    @Test func theStreamedLimitIsNotTheBufferedOne() throws {
        try withStreamingServer({ $0.maxBodyBytes = 10 }) { server, _ in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            #expect(client.sendPattern(1000))
            #expect(client.readResponse()?.text == "bytes=1000 intact=true")
            client.send("POST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
            let refused = try #require(client.readResponse())
            #expect(refused.status == 413)
            #expect(refused.text.contains("limit of 10 bytes"))
        }
    }

    @Test func aChunkedBodyCrossingTheLimitFailsWith413() throws {
        try withStreamingServer({ $0.maxStreamedBodyBytes = 100_000 }) { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            #expect(dispatched(responder))
            client.send("10000\r\n")
            #expect(client.sendPattern(0x10000))
            client.send("\r\n10000\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 413)
            #expect(response.text == "body_too_large")
            #expect(client.isClosedByServer())
            #expect(responder.outcomes.first?.failure?.status == 413)
        }
    }

    @Test func badChunkedFramingMidBodyFailsWith400() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            #expect(dispatched(responder))
            client.send("3\r\n")
            #expect(client.sendPattern(3))
            client.send("\r\nzz\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 400)
            #expect(response.text == "malformed_request")
            #expect(client.isClosedByServer())
            // Bytes still buffered at a failure are dropped: the consumer hears the failure.
            #expect(responder.outcomes.first?.failure?.message == "Invalid chunk size.")
        }
    }

    @Test func badFramingInTheFirstBytesIsRefusedBeforeDispatch() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 400)
            #expect(responder.dispatched == 0)
        }
    }

    @Test func aClientLeavingMidBodyFailsTheStreamAndClosesTheWriter() throws {
        try withStreamingServer { server, responder in
            do {
                let client = try RawClient(port: server.port)
                client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
                #expect(client.sendPattern(5000))
                #expect(client.fill(timeout: 0.2) == false)
            }
            let seen = try #require(outcome(responder) { $0.clientGone && $0.failure != nil })
            #expect(seen.failure?.status == 499)
            #expect(seen.bytes == 5000)
        }
    }

    @Test func aResponseBeforeTheWholeBodyClosesTheConnectionAfterIt() throws {
        try withStreamingServer { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/early HTTP/1.1\r\nHost: x\r\nContent-Length: 33554432\r\n\r\n")
            #expect(client.sendPattern(33_554_432), "the server reset the connection instead of draining the upload")
            let response = try #require(client.readResponse())
            #expect(response.status == 413)
            #expect(client.isClosedByServer())
            let seen = try #require(outcome(responder) { $0.failure != nil })
            #expect(seen.failure?.code == "response_ended")
        }
    }

    @Test func aSilentBodyFailsWith408() throws {
        try withStreamingServer({ $0.bodyTimeout = 200_000_000 }) { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            #expect(client.sendPattern(10))
            let response = try #require(client.readResponse())
            #expect(response.status == 408)
            #expect(response.text == "request_timeout")
            #expect(client.isClosedByServer())
            #expect(responder.outcomes.first?.bytes == 10)
        }
    }

    @Test func aDrippingClientIsCutWith408() throws {
        try withStreamingServer({ $0.minBodyRate = 1024 * 1024; $0.bodyRateGrace = 100_000_000 }) { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            for index in 0..<10 {
                guard client.sendPattern(1, from: index) else { break }
                usleep(30_000)
            }
            let response = try #require(client.readResponse())
            #expect(response.status == 408)
            #expect(responder.outcomes.first?.failure?.message.contains("slower than") == true)
        }
    }

    /// The consumer waits longer than the body timeout while the buffer is full, and the minimum
    /// rate is far above what the body averages over the whole time: neither may fire, since
    /// the waiting was ours.
    @Test func ourOwnPausesDoNotCountAgainstTheClient() throws {
        try withStreamingServer({
            $0.bodyTimeout = 300_000_000
            $0.minBodyRate = 64 * 1024 * 1024
            $0.bodyRateGrace = 100_000_000
            $0.streamedBodyBufferBytes = 64 * 1024
        }) { server, responder in
            let client = try RawClient(port: server.port)
            let size = 8 * 1024 * 1024
            client.send("POST /s/sink?hold_ms=800 HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
            #expect(client.sendPattern(size))
            let response = try #require(client.readResponse())
            #expect(response.text == "bytes=\(size) intact=true")
            #expect((responder.outcomes.first?.stalls ?? 0) > 0)
        }
    }

    @Test func noMemoryForTheBufferIs503() throws {
        // Less than the buffer's first step (64 KiB for a body at least that long).
        try withStreamingServer({ $0.maxBodyMemory = 60 * 1024 }) { server, responder in
            let client = try RawClient(port: server.port)
            client.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n0123456789")
            let response = try #require(client.readResponse())
            #expect(response.status == 503)
            #expect(response.text.contains("server_busy"))
            #expect(responder.dispatched == 0)
        }
    }

    @Test func theBufferIsReservedUntilTheResponseEnds() throws {
        // Room for one stream's first step: a second stream fits only once the first has ended.
        try withStreamingServer({ $0.maxBodyMemory = 100 * 1024 }) { server, responder in
            let first = try RawClient(port: server.port)
            first.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n")
            #expect(first.fill(timeout: 0.2) == false)
            #expect(server.bodyMemoryInUse == 64 * 1024)
            let second = try RawClient(port: server.port)
            second.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n")
            #expect(second.readResponse()?.status == 503)
            // The first body cannot grow its buffer past the budget: it goes through in 64 KiB.
            #expect(first.sendPattern(300_000))
            #expect(first.readResponse()?.text == "bytes=300000 intact=true")
            #expect((responder.outcomes.first?.peak ?? .max) <= 64 * 1024)
            #expect(bodyMemory(server, reaches: 0) == 0)
            let third = try RawClient(port: server.port)
            third.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n")
            #expect(third.sendPattern(300_000))
            #expect(third.readResponse()?.status == 200)
        }
    }

    /// A quiet client holds what its body can need, not the whole buffer: its declared length
    /// when that is less than a step, else one 64 KiB step; the buffer grows (doubling) only as
    /// bytes fill it, up to its 256 KiB, and everything is released when the response ends.
    @Test func theReservationFollowsWhatTheBodyFills() throws {
        try withStreamingServer { server, responder in
            let tiny = try RawClient(port: server.port)
            tiny.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n")
            #expect(dispatched(responder, 1))
            #expect(bodyMemory(server, reaches: 1) == 1)
            let large = try RawClient(port: server.port)
            large.send("POST /s/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
            #expect(dispatched(responder, 2))
            #expect(bodyMemory(server, reaches: 1 + 64 * 1024) == 1 + 64 * 1024)
            let chunked = try RawClient(port: server.port)
            chunked.send("POST /s/sink?hold_ms=60000 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            #expect(dispatched(responder, 3))
            #expect(bodyMemory(server, reaches: 1 + 128 * 1024) == 1 + 128 * 1024)
            // The chunked body's consumer is not reading: 200 KiB fill its buffer, which grows
            // to 128 KiB, then 256 KiB.
            chunked.send(String(200 * 1024, radix: 16) + "\r\n")
            #expect(chunked.sendPattern(200 * 1024))
            #expect(bodyMemory(server, reaches: 1 + 64 * 1024 + 256 * 1024) == 1 + 64 * 1024 + 256 * 1024)
            #expect(tiny.sendPattern(1))
            #expect(tiny.readResponse()?.text == "bytes=1 intact=true")
            #expect(bodyMemory(server, reaches: 64 * 1024 + 256 * 1024) == 64 * 1024 + 256 * 1024)
            shutdown(large.fd, Int32(SHUT_RDWR))
            shutdown(chunked.fd, Int32(SHUT_RDWR))
            #expect(bodyMemory(server, reaches: 0) == 0)
        }
    }
}
