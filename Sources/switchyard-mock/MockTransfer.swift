import SwitchyardHTTP

/// `/_mock/upload` and `/_mock/download`: bulk bytes in and out, for tests that move large bodies
/// through the gateway. Neither ever holds a body: the upload is read as a stream and hashed as
/// it arrives; the download is written from one reused pattern buffer as the client takes it.
extension MockResponder {
    /// `/_mock/upload` (with the query or without) streams its body.
    static func streamsUpload(_ target: String) -> Bool {
        target.hasPrefix("/_mock/upload") && (target.utf8.count == 13 || target.utf8.dropFirst(13).first == UInt8(ascii: "?"))
    }

    /// Any method; answers `{"bytes":N,"fnv1a64":"<16 hex>"}` once the body has arrived, or the
    /// stream's failure (a body cut short, broken framing, past the limit) in OpenAI's error shape.
    func upload(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let stream = request.bodyStream else {
            // No body at all (no Content-Length, or 0): nothing to hash.
            var hash = FNV1a64()
            hash.add(UnsafeRawBufferPointer(start: nil, count: 0))
            return json(writer, 200, hash.answer(bytes: 0))
        }
        MockUploadReader(stream: stream, writer: writer, responder: self).start()
    }

    /// `?bytes=N[&chunked=1]`: N bytes, byte i being i % 251, with a Content-Length (or chunked),
    /// written only as fast as the client reads.
    func download(_ request: HTTPRequest, _ writer: ResponseWriter) {
        var total: Int?
        var chunked = false
        for pair in (request.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let value = parts.count == 2 ? String(parts[1]) : ""
            switch parts.first {
            case "bytes":
                guard let count = Int(value), count >= 0 else {
                    return json(writer, 400, MockError.body("bytes must be a non-negative integer, not \(value)", type: "invalid_request_error", param: "bytes"))
                }
                total = count
            case "chunked":
                guard value == "0" || value == "1" else {
                    return json(writer, 400, MockError.body("chunked must be 0 or 1, not \(value)", type: "invalid_request_error", param: "chunked"))
                }
                chunked = value == "1"
            default:
                continue
            }
        }
        guard let total else {
            return json(writer, 400, MockError.body("download needs ?bytes=N", type: "invalid_request_error", param: "bytes"))
        }
        writer.startStream(status: 200, headers: HTTPHeaders([("Content-Type", "application/octet-stream")]), contentLength: chunked ? nil : total)
        MockDownloadWriter(writer: writer, total: total).pump()
    }
}

/// FNV-1a, 64 bits.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x100_0000_01b3
        }
    }

    func answer(bytes: Int) -> [UInt8] {
        var hex = String(value, radix: 16)
        hex = String(repeating: "0", count: 16 - hex.count) + hex
        return Array(#"{"bytes":\#(bytes),"fnv1a64":"\#(hex)"}"#.utf8)
    }
}

/// Hashes an upload as it arrives, borrowing the stream's buffer (no copy). Loop-confined; the
/// stream's `onReadable` keeps it alive until the body has ended.
final class MockUploadReader {
    let stream: RequestBodyStream
    let writer: ResponseWriter
    let responder: MockResponder
    private var hash = FNV1a64()
    private var count = 0

    init(stream: RequestBodyStream, writer: ResponseWriter, responder: MockResponder) {
        self.stream = stream
        self.writer = writer
        self.responder = responder
    }

    func start() {
        stream.onReadable = { [self] in pump() }
        pump()
    }

    private func pump() {
        while true {
            let read = stream.withAvailable { bytes in
                hash.add(bytes)
                return bytes.count
            }
            switch read {
            case .bytes(let taken): count += taken
            case .wait: return
            case .end:
                stream.onReadable = nil
                return responder.json(writer, 200, hash.answer(bytes: count))
            case .failed(let error):
                stream.onReadable = nil
                let type = error.status >= 500 ? "server_error" : "invalid_request_error"
                return responder.json(writer, error.status, MockError.body(error.message, type: type))
            }
        }
    }
}

/// Writes a download from one pattern buffer, stopping while the client is behind
/// (`isBackpressured`) and going on when its buffer has drained.
final class MockDownloadWriter {
    let writer: ResponseWriter
    let total: Int
    private var sent = 0
    static let piece = 64 * 1024
    /// 251 offsets of one piece: byte i of the download is i % 251, wherever a piece starts.
    static let pattern: [UInt8] = (0..<(piece + 251)).map { UInt8($0 % 251) }

    init(writer: ResponseWriter, total: Int) {
        self.writer = writer
        self.total = total
    }

    func pump() {
        while sent < total {
            if writer.isClosed { return }
            if writer.isBackpressured {
                writer.onDrained = { [self] in pump() }
                return
            }
            let count = min(Self.piece, total - sent)
            let phase = sent % 251
            Self.pattern.withUnsafeBytes { writer.write(UnsafeRawBufferPointer(rebasing: $0[phase..<(phase + count)])) }
            sent += count
        }
        writer.finish()
    }
}
