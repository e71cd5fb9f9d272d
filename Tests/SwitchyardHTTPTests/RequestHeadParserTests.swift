@testable import SwitchyardHTTP
import Testing

/// The head parser on its own, fed whole and as a connection's growing buffer. Regressions
/// found by the fuzz target (Tests/Fuzz/HTTPParserFuzz): the size limit must not depend on how
/// the bytes were split into reads, and must bound blank lines before the request too.
@Suite struct RequestHeadParserTests {
    static let limits = HeadLimits(maxHeaderBytes: 64, maxHeaderCount: 8, maxBodyBytes: 1024)

    enum Verdict: Equatable { case incomplete, complete(consumed: Int), failure(status: Int) }

    func parse(_ bytes: [UInt8]) -> Verdict {
        switch bytes.withUnsafeBytes({ RequestHeadParser.parse($0, limits: Self.limits) }) {
        case .incomplete: .incomplete
        case .complete(_, let consumed): .complete(consumed: consumed)
        case .failure(let error): .failure(status: error.status)
        }
    }

    /// A head section of `size` bytes before its CRLFCRLF.
    func head(size: Int) -> [UInt8] {
        let start = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: "
        return Array((start + String(repeating: "a", count: size - start.utf8.count) + "\r\n\r\n").utf8)
    }

    @Test func aHeadAtTheLimitIsAcceptedHoweverItIsSplit() {
        let bytes = head(size: Self.limits.maxHeaderBytes)
        #expect(parse(bytes) == .complete(consumed: bytes.count))
        for cut in 0..<bytes.count {
            #expect(parse(Array(bytes[..<cut])) == .incomplete, "prefix of \(cut) bytes")
        }
    }

    @Test func aHeadOverTheLimitIsRefusedHoweverItIsSplit() {
        let bytes = head(size: Self.limits.maxHeaderBytes + 1)
        #expect(parse(bytes) == .failure(status: 431))
        let firstVerdict = (1...bytes.count).lazy.map { parse(Array(bytes[..<$0])) }.first { $0 != .incomplete }
        #expect(firstVerdict == .failure(status: 431))
    }

    @Test func blankLinesBeforeTheRequestCountTowardTheLimit() {
        let flood = Array(String(repeating: "\r\n", count: Self.limits.maxHeaderBytes).utf8)
        #expect(parse(flood) == .failure(status: 431))
        #expect(parse(Array("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == .complete(consumed: 31))
    }
}
