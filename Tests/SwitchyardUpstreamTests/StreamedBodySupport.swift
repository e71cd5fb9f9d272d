import Foundation
import SwitchyardHTTP
import SwitchyardPosix
import SwitchyardUpstream

/// Byte i of a test body is i % 251: any piece can be produced or checked where it lands,
/// without ever holding the body.
enum Pattern {
    static let bytes: [UInt8] = (0..<(251 * 1100)).map { UInt8($0 % 251) }
    static let maxPiece = 256 * 1024

    static func copy(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        var done = 0
        while done < buffer.count {
            let count = min(maxPiece, buffer.count - done)
            let start = (offset + done) % 251
            bytes.withUnsafeBytes { (buffer.baseAddress! + done).copyMemory(from: $0.baseAddress! + start, byteCount: count) }
            done += count
        }
    }

    static func matches(_ piece: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < piece.count {
            let count = min(maxPiece, piece.count - done)
            let start = (offset + done) % 251
            let same = bytes.withUnsafeBytes { memcmp($0.baseAddress! + start, piece.baseAddress! + done, count) == 0 }
            if !same { return false }
            done += count
        }
        return true
    }
}

/// A request body made on demand: `total` pattern bytes, announced (`announceLength`) or sent
/// chunked. It can wait (answer `.wait`, then signal after `waitMilliseconds` on the loop) every
/// `waitEvery` bytes, fail after `failAfter` bytes, or end after `endAfter` bytes whatever it
/// announced. Counts what the transport asked of it. Loop-confined (the counters are read by
/// the test thread after the transfer completed).
final class PatternSource: UpstreamBodySource, @unchecked Sendable {
    let total: Int
    let length: Int?
    var onReadable: (() -> Void)?
    let loop: EventLoop
    var waitEvery = 0
    var waitMilliseconds = 0
    var failAfter = Int.max
    var endAfter = Int.max
    /// Bytes handed out.
    private(set) var produced = 0
    /// The largest buffer the transport offered.
    private(set) var largestRead = 0
    private(set) var waits = 0
    private var nextWait = Int.max
    private var holding = false

    init(total: Int, announceLength: Bool, loop: EventLoop) {
        self.total = total
        length = announceLength ? total : nil
        self.loop = loop
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead {
        largestRead = max(largestRead, buffer.count)
        if holding { return .wait }
        if produced >= failAfter { return .failed("the client went away") }
        if produced >= min(total, endAfter) { return .end }
        if waitEvery > 0 {
            if nextWait == .max { nextWait = waitEvery }
            if produced >= nextWait {
                nextWait += waitEvery
                holding = true
                waits += 1
                loop.schedule(after: UInt64(waitMilliseconds) * 1_000_000) { [self] in
                    holding = false
                    onReadable?()
                }
                return .wait
            }
        }
        var count = min(buffer.count, min(total, endAfter, failAfter) - produced)
        if waitEvery > 0 { count = min(count, nextWait - produced) }
        Pattern.copy(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]), at: produced)
        produced += count
        return .bytes(count)
    }
}

/// The upstream's side of a streamed upload, on the loopback server: reads the body as it comes
/// and answers "bytes=N intact=B chunked=C peak=P" (P: the most its buffer held).
final class UploadSink {
    let stream: RequestBodyStream
    let writer: ResponseWriter
    let delay: UInt64
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var count = 0
    private var intact = true

    init(stream: RequestBodyStream, writer: ResponseWriter, answerAfter delay: UInt64 = 0) {
        self.stream = stream
        self.writer = writer
        self.delay = delay
    }

    func start() {
        stream.onReadable = { [self] in pump() }
        pump()
    }

    private func pump() {
        while true {
            let offset = count
            let read = buffer.withUnsafeMutableBytes { raw in
                let result = stream.read(into: raw)
                if case .bytes(let n) = result, !Pattern.matches(UnsafeRawBufferPointer(rebasing: raw[..<n]), at: offset) { intact = false }
                return result
            }
            switch read {
            case .bytes(let n): count += n
            case .wait: return
            case .end:
                stream.onReadable = nil
                let text = "bytes=\(count) intact=\(intact) chunked=\(stream.declaredLength == nil) peak=\(stream.peakBufferedBytes)"
                let answer = { [writer] in writer.send(status: 200, headers: HTTPHeaders(), body: Array(text.utf8)) }
                if delay > 0 { writer.loop.schedule(after: delay) { answer() } } else { answer() }
                return
            case .failed(let error):
                stream.onReadable = nil
                return writer.send(status: error.status, headers: HTTPHeaders(), body: Array(error.code.utf8))
            }
        }
    }
}
