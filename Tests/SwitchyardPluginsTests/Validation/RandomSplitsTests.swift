@testable import SwitchyardPlugins
import Testing

/// The validator's chunk boundaries: every split covers the body exactly, split 0 is one byte at
/// a time, and a seed gives the same splits again.
@Suite struct RandomSplitsTests {
    @Test func everySplitCoversTheBodyWithPositiveChunks() {
        var random = ValidationRandom(seed: 4242)
        for length in [2, 3, 17, 100, 1000] {
            for split in 0...20 {
                let lengths = RandomSplits.lengths(of: length, split: split, random: &random)
                #expect(lengths.reduce(0, +) == length)
                #expect(lengths.allSatisfy { $0 > 0 })
                #expect(lengths.count >= 2, "split \(split) of \(length) bytes must cut at least once")
            }
        }
    }

    @Test func splitZeroIsOneByteAtATime() {
        var random = ValidationRandom(seed: 1)
        #expect(RandomSplits.lengths(of: 5, split: 0, random: &random) == [1, 1, 1, 1, 1])
    }

    @Test func tinyBodies() {
        var random = ValidationRandom(seed: 1)
        #expect(RandomSplits.lengths(of: 0, split: 3, random: &random) == [])
        #expect(RandomSplits.lengths(of: 1, split: 3, random: &random) == [1])
    }

    @Test func theSameSeedGivesTheSameSplitsAndAnotherSeedOthers() {
        func splits(_ seed: UInt64) -> [[Int]] {
            var random = ValidationRandom(seed: seed)
            return (1...8).map { RandomSplits.lengths(of: 500, split: $0, random: &random) }
        }
        #expect(splits(7) == splits(7))
        #expect(splits(7) != splits(8))
    }

    @Test func chunksReassembleTheBody() {
        let body = Array("data: {\"a\":1}\n\ndata: [DONE]\n\n".utf8)
        var random = ValidationRandom(seed: 99)
        let lengths = RandomSplits.lengths(of: body.count, split: 3, random: &random)
        let chunks = RandomSplits.chunks(body, lengths: lengths)
        #expect(chunks.count == lengths.count)
        #expect(chunks.flatMap { Array($0) } == body)
    }
}
