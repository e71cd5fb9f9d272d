@testable import SwitchyardUpstream
import Testing

/// The head parser on its own, fed the lines libcurl would hand over.
@Suite struct ResponseHeadParserTests {
    private func feed(_ lines: [String]) -> (ResponseHeadParser, [ResponseHeadParser.Step]) {
        var parser = ResponseHeadParser()
        var steps: [ResponseHeadParser.Step] = []
        for line in lines {
            var bytes = Array(line.utf8)
            steps.append(bytes.withUnsafeMutableBytes { parser.consume(UnsafeRawBufferPointer($0)) })
        }
        return (parser, steps)
    }

    @Test func finalHeadWithFields() {
        let (parser, steps) = feed(["HTTP/1.1 200 OK\r\n", "Content-Type: text/event-stream\r\n", "X-A:  spaced \t\r\n", "\r\n"])
        #expect(steps == [.more, .more, .more, .head])
        #expect(parser.status == 200)
        #expect(parser.headers.map(\.name) == ["Content-Type", "X-A"])
        #expect(parser.headers.map(\.value) == ["text/event-stream", "spaced"])
    }

    @Test func interimHeadsAreDropped() {
        let (parser, steps) = feed(["HTTP/1.1 100 Continue\r\n", "\r\n", "HTTP/1.1 103 Early Hints\r\n", "Link: </a>\r\n", "\r\n",
                                    "HTTP/1.1 429 Too Many Requests\r\n", "Retry-After: 1\r\n", "\r\n"])
        #expect(steps.filter { $0 == .head }.count == 1)
        #expect(parser.status == 429)
        #expect(parser.headers.map(\.name) == ["Retry-After"])
    }

    @Test func http2StatusLineAndEmptyValue() {
        let (parser, _) = feed(["HTTP/2 204 \r\n", "x-empty:\r\n", "\r\n"])
        #expect(parser.status == 204)
        #expect(parser.headers.first?.value == "")
    }

    @Test func foldedValueJoinsThePreviousField() {
        let (parser, _) = feed(["HTTP/1.0 200 OK\r\n", "X-Long: a\r\n", "  b\r\n", "\r\n"])
        #expect(parser.headers.first?.value == "a b")
    }

    @Test func trailersAfterTheHeadAreIgnored() {
        let (parser, steps) = feed(["HTTP/1.1 200 OK\r\n", "\r\n", "X-Trailer: 1\r\n", "\r\n"])
        #expect(steps == [.more, .head, .more, .more])
        #expect(parser.headers.isEmpty)
    }

    @Test func garbageIsMalformed() {
        #expect(feed(["HTTX/1.1 200 OK\r\n"]).1 == [.malformed])
        #expect(feed(["HTTP/1.1 2x0 OK\r\n"]).1 == [.malformed])
        #expect(feed(["HTTP/1.1 099\r\n"]).1 == [.malformed])
        #expect(feed(["\r\n"]).1 == [.malformed])
        #expect(feed(["HTTP/1.1 200 OK\r\n", "no colon here\r\n"]).1 == [.more, .malformed])
        #expect(feed(["HTTP/1.1 200 OK\r\n", ": empty name\r\n"]).1 == [.more, .malformed])
    }
}
