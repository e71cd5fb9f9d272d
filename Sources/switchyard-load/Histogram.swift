/// Log-linear latency histogram (HdrHistogram's idea): 64 linear sub-buckets per power of two,
/// so every recorded value is known to within 1.6% (values below 128 exactly).
/// Fixed memory, O(1) record, no allocation while recording.
struct Histogram {
    static let subBucketBits = 7
    static let subBuckets = 1 << subBucketBits
    private var counts = [UInt64](repeating: 0, count: 64 * subBuckets)
    private(set) var total: UInt64 = 0
    private(set) var maximum: UInt64 = 0
    private(set) var sum: Double = 0

    mutating func record(_ value: UInt64) {
        counts[Self.index(value)] &+= 1
        total &+= 1
        sum += Double(value)
        if value > maximum { maximum = value }
    }

    static func index(_ value: UInt64) -> Int {
        if value < UInt64(subBuckets) { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount - subBucketBits + 1
        let sub = Int(value >> UInt64(exponent)) & (subBuckets - 1)
        return exponent * subBuckets + sub
    }

    /// The lowest value that lands in bucket `index` (inverse of `index(_:)`).
    static func lowerBound(_ index: Int) -> UInt64 {
        let exponent = index / subBuckets
        let sub = index % subBuckets
        return UInt64(sub) << UInt64(exponent)
    }

    /// The value at `percentile` (0...100), as the bucket's lower bound.
    func value(at percentile: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = UInt64((percentile / 100 * Double(total)).rounded(.up))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= max(rank, 1) { return min(Self.lowerBound(index), maximum) }
        }
        return maximum
    }

    var mean: Double { total == 0 ? 0 : sum / Double(total) }
}
