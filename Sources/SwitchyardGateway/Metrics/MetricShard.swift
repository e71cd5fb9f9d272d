import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// One event loop's metrics: every series the loop's requests touched, in a fixed-capacity
/// open-addressing table allocated once, so recording a request takes no lock and, after the
/// series exists, allocates nothing (a new series is a zeroed slot claimed in place).
///
/// A series is keyed by small integer ids: route, model, provider (`MetricLabels`) and the HTTP
/// status, packed in one word. Each slot holds that word, the series' counters and its three
/// histograms (bucket counts, not cumulative, and the sum in nanoseconds). When the table is
/// three quarters full, requests of series not yet in it go to one `overflow` slot, so the
/// series a loop can hold are bounded whatever clients send, and probes stay short.
///
/// Threading: owned by a `LoopContext`; written and read only on its loop's thread (a scrape asks
/// the loop for a `snapshot`, never reads another loop's shard).
final class MetricShard {
    /// Slots in the table (a power of two); the overflow slot comes after them.
    let capacity: Int
    /// Series the table takes before new ones go to the overflow slot.
    let maxSeries: Int
    private(set) var seriesCount = 0
    /// Streams that have sent their response head and not yet ended (a gauge).
    private(set) var streamsInFlight = 0
    private let words: UnsafeMutablePointer<UInt64>
    private let bounds: UnsafeMutablePointer<UInt64>
    private let shift: UInt64
    /// The last model and provider named and their ids, under the labels of `cachedGeneration`:
    /// most requests name those the one before did, and a String compare is cheaper than a
    /// lookup. ("" is `none` under any labels, so the initial values are right.)
    private var cachedGeneration: UInt64 = 0
    private var cachedModel = ""
    private var cachedModelID = MetricLabelRegistry.none
    private var cachedProvider = ""
    private var cachedProviderID = MetricLabelRegistry.none

    init(capacity: Int = 512) {
        precondition(capacity >= 4 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        self.capacity = capacity
        maxSeries = capacity / 4 * 3
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        // calloc: zeroed, and the pages of slots never used are never touched (a large
        // allocation is mapped lazily), so the capacity costs address space, not memory.
        words = calloc((capacity + 1) * MetricSlot.words, MemoryLayout<UInt64>.size)!.assumingMemoryBound(to: UInt64.self)
        bounds = .allocate(capacity: MetricBuckets.nanoseconds.count)
        bounds.initialize(from: MetricBuckets.nanoseconds, count: MetricBuckets.nanoseconds.count)
        overflow[MetricSlot.key] = MetricSeriesKey.overflow
    }

    deinit {
        free(words)
        bounds.deallocate()
    }

    private var overflow: UnsafeMutablePointer<UInt64> { words + capacity * MetricSlot.words }

    /// Counts one ended request. `firstContent`: nanoseconds from the request's arrival to its
    /// stream's first bytes (0 when it did not stream; a stream that started also leaves the
    /// in-flight gauge here). `upstream`: time spent on upstream exchanges (0 when none ran).
    @inline(__always)
    func record(_ key: UInt64, attempts: Int, duration: UInt64, upstream: UInt64, firstContent: UInt64, usage: UsageCounts?) {
        let slot = self.slot(for: key)
        slot[MetricSlot.requests] &+= 1
        slot[MetricSlot.attempts] &+= UInt64(truncatingIfNeeded: attempts)
        observe(duration, into: slot + MetricSlot.duration)
        if upstream != 0 { observe(upstream, into: slot + MetricSlot.upstream) }
        if firstContent != 0 {
            observe(firstContent, into: slot + MetricSlot.firstContent)
            streamsInFlight -= 1
        }
        if let usage {
            slot[MetricSlot.promptTokens] &+= UInt64(truncatingIfNeeded: usage.prompt ?? 0)
            slot[MetricSlot.completionTokens] &+= UInt64(truncatingIfNeeded: usage.completion ?? 0)
            slot[MetricSlot.cachedTokens] &+= UInt64(truncatingIfNeeded: usage.cached ?? 0)
            slot[MetricSlot.reasoningTokens] &+= UInt64(truncatingIfNeeded: usage.reasoning ?? 0)
        }
    }

    /// The ids of `model` and `provider` under `labels`.
    @inline(__always)
    func ids(model: String, provider: String, in labels: MetricLabels) -> (model: UInt16, provider: UInt16) {
        if labels.generation != cachedGeneration {
            cachedGeneration = labels.generation
            (cachedModel, cachedModelID, cachedProvider, cachedProviderID) = ("", MetricLabelRegistry.none, "", MetricLabelRegistry.none)
        }
        if model != cachedModel {
            cachedModel = model
            cachedModelID = labels.model(model)
        }
        if provider != cachedProvider {
            cachedProvider = provider
            cachedProviderID = labels.provider(provider)
        }
        return (cachedModelID, cachedProviderID)
    }

    /// A stream sent its head; `record` with a `firstContent` ends it.
    @inline(__always)
    func streamStarted() { streamsInFlight += 1 }

    /// The series' slot: found, claimed (zeroed already), or the overflow slot.
    @inline(__always)
    private func slot(for key: UInt64) -> UnsafeMutablePointer<UInt64> {
        var index = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let slot = words + index * MetricSlot.words
            let found = slot[MetricSlot.key]
            if found == key { return slot }
            if found == 0 {
                guard seriesCount < maxSeries else { return overflow }
                seriesCount += 1
                slot[MetricSlot.key] = key
                return slot
            }
            index = (index + 1) & (capacity - 1)
        }
    }

    @inline(__always)
    private func observe(_ nanoseconds: UInt64, into histogram: UnsafeMutablePointer<UInt64>) {
        var bucket = 0
        while bucket < MetricSlot.finiteBuckets, nanoseconds > bounds[bucket] { bucket += 1 }
        histogram[bucket] &+= 1
        histogram[MetricSlot.histogramSum] &+= nanoseconds
    }

    /// A copy of every series in use (the overflow slot too, when it counted anything), for a
    /// scrape. On the loop's thread.
    func snapshot() -> [UInt64] {
        var copy: [UInt64] = []
        copy.reserveCapacity((seriesCount + 1) * MetricSlot.words)
        for index in 0...capacity {
            let slot = words + index * MetricSlot.words
            guard slot[MetricSlot.key] != 0, slot[MetricSlot.requests] != 0 else { continue }
            copy.append(contentsOf: UnsafeBufferPointer(start: slot, count: MetricSlot.words))
        }
        return copy
    }
}

/// Where a series' values sit in its slot (in 64-bit words).
enum MetricSlot {
    static let key = 0
    static let requests = 1
    static let attempts = 2
    static let promptTokens = 3
    static let completionTokens = 4
    static let cachedTokens = 5
    static let reasoningTokens = 6
    /// Histograms: `MetricBuckets.count` bucket counts (the last is `+Inf`), then the sum in ns.
    static let duration = 8
    static let upstream = duration + histogramWords
    static let firstContent = upstream + histogramWords
    static let words = firstContent + histogramWords

    static let finiteBuckets = MetricBuckets.count - 1
    static let histogramSum = MetricBuckets.count
    static let histogramWords = MetricBuckets.count + 1
}

/// A series' key: `1 << 63 | route << 48 | model << 32 | provider << 16 | status` (never 0, the
/// empty slot's key).
enum MetricSeriesKey {
    /// The overflow slot's key: all-ones ids, which no series has.
    static let overflow: UInt64 = ~0

    @inline(__always)
    static func make(route: UInt8, model: UInt16, provider: UInt16, status: Int) -> UInt64 {
        1 << 63 | UInt64(route) << 48 | UInt64(model) << 32 | UInt64(provider) << 16 | UInt64(UInt16(truncatingIfNeeded: status))
    }

    static func route(_ key: UInt64) -> Int { Int((key >> 48) & 0xFF) }
    static func model(_ key: UInt64) -> Int { Int((key >> 32) & 0xFFFF) }
    static func provider(_ key: UInt64) -> Int { Int((key >> 16) & 0xFFFF) }
    static func status(_ key: UInt64) -> Int { Int(key & 0xFFFF) }
}

extension MetricShard {
    /// Counts a request refused before it had a plan (no model, provider or upstream known).
    func recordRefusal(route: UInt8, status: Int, startedAt: UInt64) {
        let key = MetricSeriesKey.make(route: route, model: MetricLabelRegistry.none, provider: MetricLabelRegistry.none, status: status)
        record(key, attempts: 0, duration: monotonicNanoseconds() &- startedAt, upstream: 0, firstContent: 0, usage: nil)
    }
}
