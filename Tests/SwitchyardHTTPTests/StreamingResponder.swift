import Foundation
import SwitchyardHTTP
import SwitchyardPosix

/// The bytes the streaming tests send: byte i of a body is i % 251, so any piece can be checked
/// where it lands without keeping the body.
enum Pattern {
    static let bytes: [UInt8] = (0..<(251 * 1100)).map { UInt8($0 % 251) }
    static let maxPiece = 256 * 1024

    static func slice(at offset: Int, count: Int) -> ArraySlice<UInt8> {
        precondition(count <= maxPiece)
        let start = offset % 251
        return bytes[start..<(start + count)]
    }

    static func matches(_ piece: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var checked = 0
        while checked < piece.count {
            let count = min(maxPiece, piece.count - checked)
            let same = slice(at: offset + checked, count: count).withUnsafeBytes { memcmp($0.baseAddress!, piece.baseAddress! + checked, count) == 0 }
            if !same { return false }
            checked += count
        }
        return true
    }
}

/// What one streamed request's consumer saw, recorded on the loop.
struct StreamOutcome: Sendable {
    var bytes = 0
    var intact = true
    var peak = 0
    var capacity = 0
    var stalls = 0
    var declaredLength: Int?
    var failure: HTTPParseError?
    var clientGone = false
    var ended = false
}

/// Streams the bodies of requests under /s/ and answers buffered ones as TestResponder does.
/// /s/sink drains the body as fast as it arrives and answers "bytes=N intact=B"; with
/// `?pace_ms=N&piece=B` it reads B bytes (16 KiB by default) every N ms; with `?hold_ms=N` it
/// starts reading after N ms. /s/early answers 413 at once without reading. A failed stream is
/// answered with the failure's status. /len?n=N&write=W answers a Content-Length stream of N
/// bytes of which W are written; /nocontent starts a 204 stream and writes into it.
final class StreamingResponder: HTTPResponder, @unchecked Sendable {
    private let lock = NSLock()
    private var _outcomes: [StreamOutcome] = []
    private var _dispatched = 0
    var outcomes: [StreamOutcome] { lock.withLock { _outcomes } }
    var dispatched: Int { lock.withLock { _dispatched } }

    func streamsBody(method: String, target: String, headers: HTTPHeaders, loop: EventLoop) -> Bool {
        target.hasPrefix("/s/")
    }

    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        lock.withLock { _dispatched += 1 }
        guard let stream = request.bodyStream else { return buffered(request, writer) }
        let slot = lock.withLock { _outcomes.append(StreamOutcome(capacity: stream.capacity)); return _outcomes.count - 1 }
        let record: (StreamOutcome) -> Void = { [self] outcome in lock.withLock { _outcomes[slot] = outcome } }
        let query = Query(request.query)
        switch request.path {
        case "/s/early":
            writer.send(status: 413, headers: HTTPHeaders(), body: Array("too large".utf8))
            var outcome = StreamOutcome(capacity: stream.capacity)
            // The stream fails once the response has ended; hear it through onReadable.
            stream.onReadable = {
                var scratch = [UInt8](repeating: 0, count: 16)
                if case .failed(let error) = scratch.withUnsafeMutableBytes({ stream.read(into: $0) }) { outcome.failure = error }
                record(outcome)
                stream.onReadable = nil
            }
        default:
            let drain = Drain(stream: stream, writer: writer, piece: query["piece"] ?? 64 * 1024, paceMilliseconds: query["pace_ms"] ?? 0, record: record)
            let hold = query["hold_ms"] ?? 0
            if hold > 0 { writer.loop.schedule(after: UInt64(hold) * 1_000_000) { drain.start() } } else { drain.start() }
        }
    }

    private func buffered(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let query = Query(request.query)
        switch request.path {
        case "/len":
            writer.startStream(status: 200, headers: HTTPHeaders(), contentLength: query["n"] ?? 0)
            let count = query["write"] ?? 0
            if count > 0 { writer.write(Array(repeating: UInt8(ascii: "x"), count: count)) }
            writer.finish()
        case "/nocontent":
            writer.startStream(status: 204, headers: HTTPHeaders())
            writer.write(Array("stray".utf8))
            writer.finish()
        default:
            let text = "\(request.method) \(request.path) body=\(request.body.count)"
            writer.send(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: Array(text.utf8))
        }
    }
}

/// Reads a stream to its end, checking every byte against the pattern, then answers.
final class Drain {
    let stream: RequestBodyStream
    let writer: ResponseWriter
    let paceMilliseconds: Int
    let record: (StreamOutcome) -> Void
    private var buffer: [UInt8]
    private var outcome: StreamOutcome

    init(stream: RequestBodyStream, writer: ResponseWriter, piece: Int, paceMilliseconds: Int, record: @escaping (StreamOutcome) -> Void) {
        self.stream = stream
        self.writer = writer
        self.paceMilliseconds = paceMilliseconds
        self.record = record
        buffer = [UInt8](repeating: 0, count: piece)
        outcome = StreamOutcome(capacity: stream.capacity, declaredLength: stream.declaredLength)
    }

    func start() {
        writer.onClose = { [self] _ in
            outcome.clientGone = true
            record(outcome)
        }
        stream.onReadable = { [self] in pump() }
        pump()
    }

    private func pump() {
        while true {
            let offset = outcome.bytes
            let read = buffer.withUnsafeMutableBytes { raw in
                let result = stream.read(into: raw)
                if case .bytes(let count) = result, !Pattern.matches(UnsafeRawBufferPointer(rebasing: raw[..<count]), at: offset) {
                    outcome.intact = false
                }
                return result
            }
            switch read {
            case .bytes(let count):
                outcome.bytes += count
                if paceMilliseconds > 0 {
                    writer.loop.schedule(after: UInt64(paceMilliseconds) * 1_000_000) { [self] in pump() }
                    return
                }
            case .wait:
                return
            case .end:
                outcome.ended = true
                return finish(status: 200, Array("bytes=\(outcome.bytes) intact=\(outcome.intact)".utf8))
            case .failed(let error):
                outcome.failure = error
                return finish(status: error.status, Array(error.code.utf8))
            }
        }
    }

    private func finish(status: Int, _ body: [UInt8]) {
        outcome.peak = stream.peakBufferedBytes
        outcome.stalls = stream.stallCount
        record(outcome)
        stream.onReadable = nil
        writer.send(status: status, headers: HTTPHeaders(), body: body)
    }
}

/// `a=1&b=2` as integers.
struct Query {
    private var values: [String: Int] = [:]

    init(_ text: String?) {
        for pair in (text ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
        }
    }

    subscript(name: String) -> Int? { values[name] }
}

func withStreamingServer(
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in }, _ body: (HTTPServer, StreamingResponder) throws -> Void
) throws {
    var configuration = HTTPServerConfiguration()
    configuration.loops = 1
    configure(&configuration)
    let responder = StreamingResponder()
    let server = try HTTPServer(configuration: configuration, responder: responder)
    try server.start()
    defer { server.shutdown(grace: 1_000_000_000) }
    try body(server, responder)
}
