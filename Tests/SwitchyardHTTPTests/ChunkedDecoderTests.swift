@testable import SwitchyardHTTP
import Testing

/// The chunked decoder on its own, fed whole and as a connection's buffer fills. Regression
/// found by the fuzz target's invariants (Tests/Fuzz/HTTPParserFuzz): the chunk-size line limit
/// must give the same verdict whether the line arrives in one read or several.
@Suite struct ChunkedDecoderTests {
    enum Verdict: Equatable { case needMore, done(body: String), failure }

    /// Feeds `pieces` the way Connection does: append, feed the buffer, drop what was consumed.
    func decode(_ bytes: [UInt8], pieceSize: Int) -> Verdict {
        var decoder = ChunkedDecoder(maxBodyBytes: 1024, maxTrailerBytes: 1024)
        var buffer: [UInt8] = []
        var body: [UInt8] = []
        for start in stride(from: 0, to: bytes.count, by: pieceSize) {
            buffer += bytes[start..<min(bytes.count, start + pieceSize)]
            switch buffer.withUnsafeBytes({ decoder.feed($0, into: &body) }) {
            case .needMore(let consumed): buffer.removeFirst(consumed)
            case .done: return .done(body: String(decoding: body, as: UTF8.self))
            case .failure: return .failure
            }
        }
        return .needMore
    }

    /// A chunk whose size line (extensions included, CRLF excluded) is `lineBytes` long.
    func body(lineBytes: Int) -> [UInt8] {
        Array(("5;" + String(repeating: "x", count: lineBytes - 2) + "\r\nhello\r\n0\r\n\r\n").utf8)
    }

    @Test func aSizeLineAtTheLimitIsAcceptedWholeAndSplit() {
        let bytes = body(lineBytes: ChunkedDecoder.maximumLineBytes)
        for pieceSize in [bytes.count, 1, 7, ChunkedDecoder.maximumLineBytes + 1] {
            #expect(decode(bytes, pieceSize: pieceSize) == .done(body: "hello"), "pieces of \(pieceSize)")
        }
    }

    @Test func aSizeLineOverTheLimitIsRefusedWholeAndSplit() {
        let bytes = body(lineBytes: ChunkedDecoder.maximumLineBytes + 1)
        for pieceSize in [bytes.count, 1, 7, ChunkedDecoder.maximumLineBytes + 1] {
            #expect(decode(bytes, pieceSize: pieceSize) == .failure, "pieces of \(pieceSize)")
        }
    }

    @Test("size lines and trailers: what RFC 9112 allows is read, anything a front end might frame differently is refused",
          arguments: [
              ("5\r\nhello\r\n0\r\n\r\n", Verdict.done(body: "hello")),
              ("5 ;a=b\r\nhello\r\n0\r\n\r\n", .done(body: "hello")),
              ("5\t;a=\"q r\"\r\nhello\r\n0\r\n\r\n", .done(body: "hello")),
              ("5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n", .done(body: "hello")),
              ("5 6\r\nhello\r\n0\r\n\r\n", .failure),
              ("5 \r\nhello\r\n0\r\n\r\n", .done(body: "hello")),
              ("5;a\rb\r\nhello\r\n0\r\n\r\n", .failure),
              ("0x5\r\nhello\r\n0\r\n\r\n", .failure),
              ("5\r\nhello\r\n0\r\nno colon\r\n\r\n", .failure),
              ("5\r\nhello\r\n0\r\nX-A: a\rb\r\n\r\n", .failure),
              ("5\r\nhello\r\n0\r\n folded: x\r\n\r\n", .failure),
          ])
    func grammar(_ text: String, _ expected: Verdict) {
        let bytes = Array(text.utf8)
        for pieceSize in [bytes.count, 1, 3] {
            #expect(decode(bytes, pieceSize: pieceSize) == expected, "pieces of \(pieceSize)")
        }
    }
}
