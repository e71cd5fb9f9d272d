/// The validator's seeded randomness: SplitMix64, so a run is repeated exactly from the seed it
/// prints (`--seed`). Not for anything secret.
///
/// A value type; one per check, never shared between threads.
public struct ValidationRandom: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

/// Where a body is cut into the chunks a transformer is fed: the upstream's chunk boundaries are
/// arbitrary (the header says so), so a transformer must give the same answer whatever they are.
public enum RandomSplits {
    /// The chunk lengths of split number `index` of a body of `length` bytes: split 0 is every
    /// byte on its own (the worst case, always tried), the others random cuts (between 1 and
    /// `length / 2` of them, at distinct offsets). The lengths are all positive and add up to
    /// `length`.
    public static func lengths(of length: Int, split index: Int, random: inout ValidationRandom) -> [Int] {
        guard length > 1 else { return length == 1 ? [1] : [] }
        if index == 0 { return Array(repeating: 1, count: length) }
        let cutCount = Int.random(in: 1...max(1, length / 2), using: &random)
        var cuts = Set<Int>()
        while cuts.count < min(cutCount, length - 1) { cuts.insert(Int.random(in: 1..<length, using: &random)) }
        var lengths: [Int] = []
        var previous = 0
        for cut in cuts.sorted() + [length] {
            lengths.append(cut - previous)
            previous = cut
        }
        return lengths
    }

    /// `body` cut into chunks of `lengths`.
    public static func chunks(_ body: [UInt8], lengths: [Int]) -> [ArraySlice<UInt8>] {
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        for length in lengths {
            chunks.append(body[start..<(start + length)])
            start += length
        }
        return chunks
    }
}
