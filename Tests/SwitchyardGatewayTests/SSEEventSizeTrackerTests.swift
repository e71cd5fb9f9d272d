@testable import SwitchyardGateway
import Testing

/// The event-size bound of streamed upstream answers: every line-end style, every place a chunk
/// may split the stream, against a plain reference reading of the whole stream.
@Suite struct SSEEventSizeTrackerTests {
    /// Feeds `stream` in the given pieces; the first chunk the tracker refuses, or nil.
    private func refusal(_ stream: [UInt8], limit: Int, cuts: [Int]) -> Int? {
        var tracker = SSEEventSizeTracker(limit: limit)
        var start = 0
        for (index, end) in (cuts + [stream.count]).enumerated() {
            let accepted = stream[start..<end].withUnsafeBytes { tracker.consume($0) }
            if !accepted { return index }
            start = end
        }
        return nil
    }

    /// The largest event of `stream` (a trailing unfinished one included), read the simple way:
    /// split into lines with their ends (LF, CRLF or CR), a blank line ends an event.
    private func largestEvent(_ stream: [UInt8]) -> Int {
        var largest = 0
        var event = 0
        var index = 0
        while index < stream.count {
            var end = index
            while end < stream.count, stream[end] != 0x0A, stream[end] != 0x0D { end += 1 }
            var terminator = 0
            if end < stream.count {
                terminator = stream[end] == 0x0D && end + 1 < stream.count && stream[end + 1] == 0x0A ? 2 : 1
            }
            if end == index, terminator > 0 {
                event = 0  // a blank line
            } else {
                event += end - index + terminator
                largest = max(largest, event)
            }
            index = end + terminator
        }
        return largest
    }

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func eventsUnderTheLimitPassWhateverTheLineEnds() {
        for separator in ["\n", "\r\n", "\r"] {
            let event = "data: {\"a\":1}" + separator  // 14 or 15 bytes
            let stream = bytes(String(repeating: event + separator, count: 1000))
            #expect(refusal(stream, limit: event.utf8.count, cuts: []) == nil, "\(separator.debugDescription)")
            #expect(refusal(stream, limit: event.utf8.count - 1, cuts: []) == 0, "\(separator.debugDescription)")
        }
    }

    @Test func aLongEventWithManyLinesCountsAsOne() {
        let stream = bytes("event: big\n" + String(repeating: "data: 0123456789\n", count: 10) + "\n" + "data: small\n\n")
        #expect(largestEvent(stream) == 11 + 170)
        #expect(refusal(stream, limit: 181, cuts: []) == nil)
        #expect(refusal(stream, limit: 180, cuts: []) == 0)
    }

    @Test func aHugeEventWithoutAnyLineEndIsRefusedInTheChunkThatCrossesTheLimit() {
        let stream = bytes("data: ") + [UInt8](repeating: UInt8(ascii: "x"), count: 10_000)
        #expect(refusal(stream, limit: 4096, cuts: [1000, 2000, 3000, 4000, 5000, 6000]) == 4)
    }

    @Test func aCRLFSplitAcrossChunksIsOneLineEnd() {
        // "a\r" | "\n\r" | "\nb\r\n": CRLF, then a blank CRLF line split in two: two events.
        let stream = bytes("a\r\n\r\nb\r\n")
        #expect(refusal(stream, limit: 3, cuts: [2, 4]) == nil)
        // Read as bare CRs and LFs, the blank line would vanish and "a" and "b" would join (6 > 5).
        #expect(refusal(bytes("aaa\r\n\r\nbbb\r\n"), limit: 5, cuts: [4, 6]) == nil)
        #expect(refusal(bytes("aaa\r\nbbb\r\n"), limit: 5, cuts: [4]) == 1)
    }

    @Test func aLoneCRThenLFIsABlankLineOnlyWhenTheCRDidNotEndALine() {
        // "x\r" ends a line; "\n" completes its CRLF, it is not a blank line.
        #expect(refusal(bytes("x\r\ny\r\n"), limit: 5, cuts: [2]) == 1)
        // "x\n" ends a line; "\r\n" after it is a blank line.
        #expect(refusal(bytes("xx\n\r\nyy\n"), limit: 3, cuts: [3]) == nil)
    }

    @Test func randomStreamsAndSplitsAgreeWithTheReference() {
        var generator = SplitMix(seed: 0x5EED)
        let pieces = ["data: ", "event: x", "{\"k\":\"", "lorem ipsum ", "\n", "\r\n", "\r", "\n\n", "\r\n\r\n", "\r\r", ": ping"]
        for _ in 0..<2000 {
            var stream: [UInt8] = []
            for _ in 0..<Int(generator.next() % 60) { stream += bytes(pieces[Int(generator.next() % UInt64(pieces.count))]) }
            let largest = largestEvent(stream)
            var cuts = (0..<Int(generator.next() % 8)).map { _ in stream.isEmpty ? 0 : Int(generator.next() % UInt64(stream.count + 1)) }
            cuts.sort()
            for limit in [max(0, largest - 1), largest, largest + 1] {
                let refused = refusal(stream, limit: limit, cuts: cuts) != nil
                #expect(refused == (largest > limit), "\(String(decoding: stream, as: UTF8.self).debugDescription) cuts \(cuts) limit \(limit)")
            }
        }
    }
}

/// A small deterministic generator (SplitMix64): the same streams on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
