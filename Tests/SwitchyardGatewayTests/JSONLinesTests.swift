import Testing
@testable import SwitchyardGateway

/// The batch input splitter: lines as an editor numbers them, whatever the pieces.
@Suite struct JSONLinesTests {
    /// Every line `text` splits into, fed in pieces of `size` bytes; a line too long ends it (every
    /// caller stops there).
    static func split(_ text: String, pieces size: Int, maxLineBytes: Int = 1 << 20) -> [String] {
        var lines = JSONLines(maxLineBytes: maxLineBytes)
        var found: [String] = []
        let bytes = Array(text.utf8)
        var offset = 0
        var stopped = false
        func drain() {
            while !stopped {
                switch lines.next() {
                case .line(let number, let line): found.append("\(number):" + String(decoding: line, as: UTF8.self))
                case .tooLong(let number): found.append("\(number):too long"); stopped = true
                case .needMore: return
                }
            }
        }
        while offset < bytes.count, !stopped {
            let end = min(bytes.count, offset + size)
            bytes[offset..<end].withUnsafeBytes { lines.append($0) }
            offset = end
            drain()
        }
        lines.finish()
        drain()
        return found
    }

    @Test func crlfBlankLinesAndALastLineWithoutNewlineAtEveryPieceSize() {
        let text = "{\"a\":1}\r\n\r\n  \n{\"b\":2}\n{\"c\":3}"
        for size in 1...text.utf8.count {
            #expect(Self.split(text, pieces: size) == ["1:{\"a\":1}", "4:{\"b\":2}", "5:{\"c\":3}"], "pieces of \(size)")
        }
    }

    @Test func aTrailingNewlineAddsNoLine() {
        #expect(Self.split("{}\n", pieces: 2) == ["1:{}"])
        #expect(Self.split("", pieces: 1) == [])
        #expect(Self.split("\n\n", pieces: 1) == [])
    }

    @Test func aLineLongerThanTheBoundIsNamedWhetherItEndedOrNot() {
        #expect(Self.split("{}\n" + String(repeating: "x", count: 40) + "\n{}", pieces: 7, maxLineBytes: 16) == ["1:{}", "2:too long"])
        #expect(Self.split("{}\n" + String(repeating: "x", count: 40), pieces: 64, maxLineBytes: 16) == ["1:{}", "2:too long"])
    }
}
