import Foundation
import SwitchyardHTTP
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// An upstream on loopback built on our own HTTP server: /echo answers the request back,
/// /stream sends paced chunks, /cut drops the connection mid-body, /slow answers late.
final class Upstream: HTTPResponder, @unchecked Sendable {
    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        switch request.path {
        case "/echo":
            let text = "\(request.method) \(request.headers["x-test"] ?? "-") \(String(decoding: request.body, as: UTF8.self))"
            writer.send(status: 201, headers: HTTPHeaders([("X-Reply", "yes")]), body: Array(text.utf8))
        case "/stream", "/cut":
            writer.startStream(status: 200, headers: HTTPHeaders())
            var sent = 0
            func next() {
                if request.path == "/cut" && sent == 2 { return writer.abort() }
                if sent == 4 { return writer.finish() }
                writer.write(Array("part\(sent);".utf8))
                sent += 1
                writer.loop.schedule(after: 30_000_000) { next() }
            }
            next()
        case "/slow":
            writer.loop.schedule(after: 2_000_000_000) { writer.send(status: 200, headers: HTTPHeaders(), body: []) }
        default:
            writer.send(status: 404, headers: HTTPHeaders(), body: [])
        }
    }
}

/// Records what a transfer delivered, in order, with arrival times.
final class Recorder: UpstreamResponseDelegate, @unchecked Sendable {
    var status = 0
    var headers: [(name: String, value: String)] = []
    var chunks: [(String, UInt64)] = []
    var result: UpstreamResult?
    var completions = 0
    var completedAt: UInt64 = 0
    var onBody: ((Recorder) -> Void)?
    let done = DispatchSemaphore(value: 0)

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        chunks.append((String(decoding: chunk, as: UTF8.self), monotonicNanoseconds()))
        onBody?(self)
    }

    func upstreamComplete(_ result: UpstreamResult) {
        self.result = result
        completions += 1
        completedAt = monotonicNanoseconds()
        done.signal()
    }

    var body: String { chunks.map(\.0).joined() }
    var failureKind: UpstreamError.Kind? {
        if case .failure(let error) = result { return error.kind }
        return nil
    }
}

@Suite(.serialized) struct UpstreamClientTests {
    let server: HTTPServer
    let loop: EventLoop
    let client: UpstreamClient
    let thread: Thread

    init() throws {
        var configuration = HTTPServerConfiguration()
        configuration.loops = 1
        server = try HTTPServer(configuration: configuration, responder: Upstream())
        try server.start()
        let loop = try EventLoop()
        self.loop = loop
        client = UpstreamClient(loop: loop)
        thread = Thread { loop.run() }
        thread.start()
    }

    func run(_ path: String, method: String = "POST", body: String = "", timeout: UInt64 = 0, onBody: ((Recorder) -> Void)? = nil) -> Recorder {
        let recorder = Recorder()
        recorder.onBody = onBody
        let request = UpstreamRequest(method: method, url: "http://127.0.0.1:\(server.port)\(path)", headers: [("X-Test", "t1")], body: Array(body.utf8), totalTimeout: timeout)
        loop.execute { [client] in _ = client.start(request, delegate: recorder) }
        _ = recorder.done.wait(timeout: .now() + 10)
        return recorder
    }

    func finish() {
        loop.stop()
        server.shutdown(grace: 1_000_000_000)
    }

    @Test func postSendsBodyAndHeadersAndReadsTheAnswer() {
        defer { finish() }
        let recorder = run("/echo", body: #"{"a":1}"#)
        #expect(recorder.status == 201)
        #expect(recorder.headers.contains { $0.name.lowercased() == "x-reply" && $0.value == "yes" })
        #expect(recorder.body == #"POST t1 {"a":1}"#)
        #expect(recorder.completions == 1)
        if case .success = recorder.result {} else { Issue.record("expected success, got \(String(describing: recorder.result))") }
    }

    @Test func streamedChunksArriveBeforeCompletion() {
        defer { finish() }
        let recorder = run("/stream", method: "GET")
        #expect(recorder.body == "part0;part1;part2;part3;")
        #expect(recorder.chunks.count >= 3)
        let first = recorder.chunks.first?.1 ?? 0
        #expect(recorder.completedAt - first > 60_000_000)  // chunks were paced, not buffered
    }

    @Test func manyConcurrentTransfersOnOneLoop() {
        defer { finish() }
        let recorders = (0..<50).map { _ in Recorder() }
        for (index, recorder) in recorders.enumerated() {
            let request = UpstreamRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/echo", headers: [], body: Array("n\(index)".utf8))
            loop.execute { [client] in _ = client.start(request, delegate: recorder) }
        }
        for (index, recorder) in recorders.enumerated() {
            _ = recorder.done.wait(timeout: .now() + 10)
            #expect(recorder.body == "POST - n\(index)")
        }
    }

    @Test func refusedConnectionIsAConnectError() throws {
        defer { finish() }
        let port = server.port
        server.shutdown(grace: 0)
        let recorder = Recorder()
        let request = UpstreamRequest(method: "GET", url: "http://127.0.0.1:\(port)/echo", headers: [], body: [])
        loop.execute { [client] in _ = client.start(request, delegate: recorder) }
        _ = recorder.done.wait(timeout: .now() + 10)
        #expect(recorder.failureKind == .connect)
        #expect(recorder.completions == 1)
    }

    @Test func totalTimeoutIsATimeoutError() {
        defer { finish() }
        let recorder = run("/slow", method: "GET", timeout: 200_000_000)
        #expect(recorder.failureKind == .timeout)
    }

    @Test func cancelFromInsideABodyCallbackCompletesOnceAsCancelled() {
        defer { finish() }
        final class Holder: @unchecked Sendable { var transfer: UpstreamTransfer? }
        let holder = Holder()
        let recorder = Recorder()
        recorder.onBody = { _ in holder.transfer?.cancel() }
        let request = UpstreamRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/stream", headers: [], body: [])
        loop.execute { [client] in holder.transfer = client.start(request, delegate: recorder) }
        _ = recorder.done.wait(timeout: .now() + 10)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(recorder.failureKind == .cancelled)
        #expect(recorder.completions == 1)
        #expect(recorder.chunks.count == 1)
    }

    @Test func connectionCutMidBodyIsAFailureNotASuccess() {
        defer { finish() }
        let recorder = run("/cut", method: "GET")
        #expect(recorder.body == "part0;part1;")
        #expect(recorder.failureKind == .other)
    }
}
