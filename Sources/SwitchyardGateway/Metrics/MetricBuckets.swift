/// The upper bounds of every latency histogram's buckets, in seconds (a `+Inf` bucket follows).
/// From 5 ms (the gateway's own overhead, an in-process answer) to 2 minutes (a long completion
/// or stream); the same bounds for all three histograms, so they can be compared bucket by bucket.
enum MetricBuckets {
    static let seconds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
    static let nanoseconds: [UInt64] = seconds.map { UInt64($0 * 1_000_000_000) }
    /// Buckets per histogram, `+Inf` included.
    static let count = seconds.count + 1
}
