import Foundation
import Testing
import SwitchyardHTTP
import SwitchyardPosix
import SwitchyardUpstream

/// An upstream on loopback built on our own HTTP server. Routes:
/// /echo answers "METHOD x-test body" with status 201 and `X-Reply: yes`; /headers lists the
/// request's header fields, one "name: value" per line; /stream sends four parts 30 ms apart;
/// /cut drops the connection after two parts; /long sends up to 100 parts 30 ms apart; /pause
/// sends one part, then nothing for 2 s; /slow answers after 2 s; /late sends its head after
/// 400 ms and one part 100 ms later; /drop closes the connection without answering.
/// Streamed bodies: /upload reads the body as it comes (`UploadSink`), /upload-late answers
/// 300 ms after it, /refuse answers 413 at once without reading it.
final class LoopbackUpstream: HTTPResponder, @unchecked Sendable {
    func streamsBody(method: String, target: String, headers: HTTPHeaders, loop: EventLoop) -> Bool {
        target.hasPrefix("/upload") || target.hasPrefix("/refuse")
    }

    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        switch request.path {
        case "/upload", "/upload-late":
            guard let stream = request.bodyStream else {
                return writer.send(status: 200, headers: HTTPHeaders(), body: Array("bytes=\(request.body.count) buffered".utf8))
            }
            UploadSink(stream: stream, writer: writer, answerAfter: request.path == "/upload-late" ? 300_000_000 : 0).start()
        case "/refuse":
            writer.send(status: 413, headers: HTTPHeaders(), body: Array("refused".utf8))
        case "/echo":
            let text = "\(request.method) \(request.headers["x-test"] ?? "-") \(String(decoding: request.body, as: UTF8.self))"
            writer.send(status: 201, headers: HTTPHeaders([("X-Reply", "yes"), ("X-Empty", "")]), body: Array(text.utf8))
        case "/headers":
            let lines = request.headers.pairs.map { "\($0.name.lowercased()): \($0.value)\n" }.joined()
            writer.send(status: 200, headers: HTTPHeaders(), body: Array(lines.utf8))
        case "/stream": paced(writer, parts: 4, cutAfter: nil)
        case "/cut": paced(writer, parts: 4, cutAfter: 2)
        case "/long": paced(writer, parts: 100, cutAfter: nil)
        case "/pause":
            writer.startStream(status: 200, headers: HTTPHeaders())
            writer.write(Array("first;".utf8))
            writer.loop.schedule(after: 2_000_000_000) { writer.write(Array("late;".utf8)); writer.finish() }
        case "/late":
            writer.loop.schedule(after: 400_000_000) {
                writer.startStream(status: 200, headers: HTTPHeaders())
                writer.loop.schedule(after: 100_000_000) { writer.write(Array("late;".utf8)); writer.finish() }
            }
        case "/drop":
            writer.abort()
        case "/slow":
            writer.loop.schedule(after: 2_000_000_000) { writer.send(status: 200, headers: HTTPHeaders(), body: []) }
        default:
            writer.send(status: 404, headers: HTTPHeaders(), body: [])
        }
    }

    private func paced(_ writer: ResponseWriter, parts: Int, cutAfter: Int?) {
        writer.startStream(status: 200, headers: HTTPHeaders())
        var sent = 0
        func next() {
            guard !writer.isClosed else { return }
            if let cutAfter, sent == cutAfter { return writer.abort() }
            if sent == parts { return writer.finish() }
            writer.write(Array("part\(sent);".utf8))
            sent += 1
            writer.loop.schedule(after: 30_000_000) { next() }
        }
        next()
    }
}

/// Records what a transfer delivered, in order, with arrival times. Written on the client's
/// loop; read by the test thread after `done` (the semaphore orders the accesses).
final class Recorder: UpstreamResponseDelegate, @unchecked Sendable {
    var status = 0
    var headers: [(name: String, value: String)] = []
    var heads = 0
    var chunks: [(String, UInt64)] = []
    var result: UpstreamResult?
    var completions = 0
    var completedAt: UInt64 = 0
    var onHead: ((Recorder) -> Void)?
    var onBody: ((Recorder) -> Void)?
    let firstChunk = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
        heads += 1
        onHead?(self)
    }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        chunks.append((String(decoding: chunk, as: UTF8.self), monotonicNanoseconds()))
        if chunks.count == 1 { firstChunk.signal() }
        onBody?(self)
    }

    func upstreamComplete(_ result: UpstreamResult) {
        self.result = result
        completions += 1
        completedAt = monotonicNanoseconds()
        done.signal()
    }

    /// Waits (bounded) for completion; false on timeout.
    @discardableResult
    func wait(seconds: Double = 10) -> Bool { done.wait(timeout: .now() + seconds) == .success }

    var body: String { chunks.map(\.0).joined() }
    var succeeded: Bool {
        if case .success = result { return true }
        return false
    }
    var failure: UpstreamError? {
        if case .failure(let error) = result { return error }
        return nil
    }
}

/// Lets a closure running on the loop reach a transfer started on the loop.
final class TransferBox: @unchecked Sendable {
    var transfer: (any UpstreamCall)?
}

/// The two ways a plain-HTTP request can travel; the client suites run over both.
enum UpstreamTransport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case plain, curl
    var testDescription: String { rawValue }
}

/// An `UpstreamClient` on its own running loop, and a loopback upstream.
final class ClientHarness: @unchecked Sendable {
    let server: HTTPServer
    let loop: EventLoop
    let client: UpstreamClient
    private let thread: Thread

    init(_ transport: UpstreamTransport = .plain) throws {
        var configuration = HTTPServerConfiguration()
        configuration.loops = 1
        server = try HTTPServer(configuration: configuration, responder: LoopbackUpstream())
        try server.start()
        let loop = try EventLoop()
        self.loop = loop
        client = UpstreamClient(loop: loop, plainHTTP: transport == .plain)
        thread = Thread { loop.run() }
        thread.start()
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(server.port)\(path)" }

    /// Starts a transfer on the loop; the box receives its handle there.
    @discardableResult
    func start(_ request: UpstreamRequest, _ recorder: some UpstreamResponseDelegate & Sendable, into box: TransferBox = TransferBox()) -> TransferBox {
        loop.execute { [client] in box.transfer = client.start(request, delegate: recorder) }
        return box
    }

    /// One request, waited for.
    func run(_ path: String, method: String = "POST", headers: [(String, String)] = [("X-Test", "t1")], body: String = "",
             configure: (inout UpstreamRequest) -> Void = { _ in }, recorder: Recorder = Recorder()) -> Recorder {
        var request = UpstreamRequest(method: method, url: url(path), headers: headers, body: Array(body.utf8))
        configure(&request)
        start(request, recorder)
        recorder.wait()
        return recorder
    }

    /// Evaluates `body` on the loop thread and waits for the answer.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (UpstreamClient) -> T) -> T? {
        let slot = Slot<T>()
        let ready = DispatchSemaphore(value: 0)
        loop.execute { [client] in
            slot.value = body(client)
            ready.signal()
        }
        guard ready.wait(timeout: .now() + 5) == .success else { return nil }
        return slot.value
    }

    func shutdown() {
        loop.stop()
        server.shutdown(grace: 1_000_000_000)
    }
}

/// A value handed from the loop thread to the test thread (the semaphore orders the accesses).
final class Slot<T>: @unchecked Sendable {
    var value: T?
}
