import Foundation
import SwitchyardHTTP
import SwitchyardPosix
import Testing

/// The end of the shutdown grace: responses still open are ended by their owners through
/// `onClose(.shutdown)` while the connection is up, then the connection closes.
@Suite(.serialized) struct ShutdownTests {
    /// Streams one event every 20 ms for ~2 s (`/stream`) or never answers (`/hang`); with
    /// `handlesShutdown`, ends either one properly when the grace runs out.
    final class SlowResponder: HTTPResponder, @unchecked Sendable {
        let handlesShutdown: Bool
        let lock = NSLock()
        private var _reasons: [ResponseWriter.CloseReason] = []
        var reasons: [ResponseWriter.CloseReason] { lock.withLock { _reasons } }

        init(handlesShutdown: Bool) { self.handlesShutdown = handlesShutdown }

        func respond(to request: HTTPRequest, writer: ResponseWriter) {
            var ended = false
            if handlesShutdown {
                writer.onClose = { [self] reason in
                    lock.withLock { _reasons.append(reason) }
                    ended = true
                    guard reason == .shutdown else { return }
                    if request.path == "/stream" {
                        writer.write(Array("data: shutting down\n\n".utf8))
                        writer.finish()
                    } else {
                        writer.send(status: 503, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: Array("shutting down".utf8))
                    }
                }
            }
            guard request.path == "/stream" else { return }
            writer.startStream(status: 200, headers: HTTPHeaders([("Content-Type", "text/event-stream")]))
            var sent = 0
            func next() {
                guard !ended, !writer.isClosed else { return }
                if sent == 100 { writer.finish(); return }
                writer.write(Array("data: \(sent)\n\n".utf8))
                sent += 1
                writer.loop.schedule(after: 20_000_000) { next() }
            }
            next()
        }
    }

    /// Starts a one-loop server, sends `request`, reads the first bytes when `readFirst`, then
    /// shuts down with a 300 ms grace on another thread; returns the client and the time the
    /// shutdown took.
    func shutDown(_ responder: SlowResponder, _ request: String, readFirst: Bool, _ check: (RawClient) throws -> Void) throws -> TimeInterval {
        var configuration = HTTPServerConfiguration()
        configuration.loops = 1
        let server = try HTTPServer(configuration: configuration, responder: responder)
        try server.start()
        let client = try RawClient(port: server.port)
        client.send(request)
        if readFirst { #expect(client.fill()) } else { usleep(50_000) }
        let done = DispatchSemaphore(value: 0)
        let started = Date()
        Thread.detachNewThread { server.shutdown(grace: 300_000_000); done.signal() }
        try check(client)
        #expect(done.wait(timeout: .now() + 5) == .success)
        return Date().timeIntervalSince(started)
    }

    @Test func aStreamOpenWhenTheGraceEndsIsEndedByItsOwner() throws {
        let responder = SlowResponder(handlesShutdown: true)
        let took = try shutDown(responder, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", readFirst: true) { client in
            let response = try #require(client.readResponse())  // a complete chunked body
            #expect(response.chunks.last == "data: shutting down\n\n")
            #expect(response.chunks.count < 50)
            #expect(response.headers["connection"] == nil)  // the head went out before the drain
            #expect(client.isClosedByServer())
        }
        // The grace, then at most the linger time for the ended answer to reach the client.
        #expect(took > 0.25 && took < 3)
        #expect(responder.reasons == [.shutdown])
    }

    @Test func aRequestNotYetAnsweredWhenTheGraceEndsGetsItsOwnersAnswer() throws {
        let responder = SlowResponder(handlesShutdown: true)
        _ = try shutDown(responder, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n", readFirst: false) { client in
            let response = try #require(client.readResponse())
            #expect(response.status == 503)
            #expect(response.text == "shutting down")
            #expect(response.headers["connection"] == "close")
            #expect(client.isClosedByServer())
        }
        #expect(responder.reasons == [.shutdown])
    }

    @Test func aStreamWithoutAShutdownHandlerIsCutWithTheConnection() throws {
        let responder = SlowResponder(handlesShutdown: false)
        _ = try shutDown(responder, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", readFirst: true) { client in
            #expect(client.readResponse() == nil)  // the body never ends
        }
    }
}
