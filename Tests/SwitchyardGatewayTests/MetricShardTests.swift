import Testing
@testable import SwitchyardGateway

@Suite struct MetricShardTests {
    func key(_ model: UInt16, status: Int = 200) -> UInt64 {
        MetricSeriesKey.make(route: 0, model: model, provider: 2, status: status)
    }

    func slots(_ shard: MetricShard) -> [ArraySlice<UInt64>] {
        let words = shard.snapshot()
        return stride(from: 0, to: words.count, by: MetricSlot.words).map { words[$0..<$0 + MetricSlot.words] }
    }

    @Test func oneSeriesPerKeyCountsEachRecord() {
        let shard = MetricShard(capacity: 8)
        shard.record(key(5), attempts: 1, duration: 1_000, upstream: 0, firstContent: 0, usage: nil)
        shard.record(key(5), attempts: 2, duration: 1_000, upstream: 0, firstContent: 0, usage: nil)
        shard.record(key(5, status: 502), attempts: 1, duration: 1_000, upstream: 0, firstContent: 0, usage: nil)
        #expect(shard.seriesCount == 2)
        let series = slots(shard).first { $0.first == key(5) }!
        #expect(series[series.startIndex + MetricSlot.requests] == 2)
        #expect(series[series.startIndex + MetricSlot.attempts] == 3)
    }

    @Test func seriesBeyondThreeQuartersGoToTheOverflowSlotAndTheTableNeverGrows() {
        let shard = MetricShard(capacity: 8)
        for model in 0..<1000 { shard.record(key(UInt16(model)), attempts: 1, duration: 1, upstream: 0, firstContent: 0, usage: nil) }
        #expect(shard.maxSeries == 6)
        #expect(shard.seriesCount == 6)
        let used = slots(shard)
        #expect(used.count == 7)
        let overflow = used.first { $0.first == MetricSeriesKey.overflow }!
        #expect(overflow[overflow.startIndex + MetricSlot.requests] == 994)
        // A series already in the table keeps counting in its own slot.
        shard.record(key(0), attempts: 1, duration: 1, upstream: 0, firstContent: 0, usage: nil)
        #expect(slots(shard).first { $0.first == key(0) }.map { $0[$0.startIndex + MetricSlot.requests] } == 2)
    }

    @Test func observationsLandInTheFirstBucketWhoseBoundHoldsThem() {
        let shard = MetricShard(capacity: 8)
        for duration: UInt64 in [5_000_000, 5_000_001, 121_000_000_000] {
            shard.record(key(1), attempts: 1, duration: duration, upstream: 0, firstContent: 0, usage: nil)
        }
        let series = slots(shard)[0]
        let histogram = Array(series[(series.startIndex + MetricSlot.duration)...].prefix(MetricSlot.histogramWords))
        #expect(histogram[0] == 1)  // le=0.005 holds exactly 5 ms
        #expect(histogram[1] == 1)
        #expect(histogram[MetricBuckets.count - 1] == 1)  // +Inf
        #expect(histogram[MetricSlot.histogramSum] == 5_000_000 + 5_000_001 + 121_000_000_000)
        // No upstream, no stream: those histograms observed nothing.
        #expect(series[series.startIndex + MetricSlot.upstream + MetricSlot.histogramSum] == 0)
        #expect(series[series.startIndex + MetricSlot.firstContent..<series.startIndex + MetricSlot.words].allSatisfy { $0 == 0 })
    }

    @Test func aStreamLeavesTheInFlightGaugeWhenRecorded() {
        let shard = MetricShard(capacity: 8)
        shard.streamStarted()
        #expect(shard.streamsInFlight == 1)
        shard.record(key(1), attempts: 1, duration: 10, upstream: 5, firstContent: 3, usage: nil)
        #expect(shard.streamsInFlight == 0)
    }

    @Test func tokensAddUp() {
        let shard = MetricShard(capacity: 8)
        let usage = UsageCounts(Array(#"{"usage":{"prompt_tokens":7,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":2}}}"#.utf8))
        shard.record(key(1), attempts: 1, duration: 1, upstream: 0, firstContent: 0, usage: usage)
        shard.record(key(1), attempts: 1, duration: 1, upstream: 0, firstContent: 0, usage: usage)
        let series = slots(shard)[0]
        #expect(series[series.startIndex + MetricSlot.promptTokens] == 14)
        #expect(series[series.startIndex + MetricSlot.completionTokens] == 6)
        #expect(series[series.startIndex + MetricSlot.reasoningTokens] == 4)
    }

    @Test func expositionMergesLoopsAndNamesTheOverflow() {
        let first = MetricShard(capacity: 8), second = MetricShard(capacity: 8)
        first.record(key(2), attempts: 1, duration: 1, upstream: 0, firstContent: 0, usage: nil)
        second.record(key(2), attempts: 1, duration: 1, upstream: 0, firstContent: 0, usage: nil)
        for model in 10..<20 { second.record(key(UInt16(model)), attempts: 1, duration: 1, upstream: 0, firstContent: 0, usage: nil) }
        let snapshots = [first, second].map { LoopMetricsSnapshot(series: $0.snapshot(), streamsInFlight: 0, hooks: []) }
        var text = PrometheusText()
        MetricsExposition(modelNames: ["", "other", "gpt-x"], providerNames: ["", "other", "p"], pluginNames: []).render(snapshots, into: &text)
        let out = String(decoding: text.bytes, as: UTF8.self)
        #expect(out.contains("switchyard_requests_total{route=\"chat_completions\",model=\"gpt-x\",provider=\"p\",status=\"200\"} 2\n"))
        #expect(out.contains("switchyard_requests_total{route=\"overflow\",model=\"overflow\",provider=\"overflow\",status=\"overflow\"} 5\n"))
        #expect(out.contains("switchyard_request_duration_seconds_count{route=\"chat_completions\",model=\"gpt-x\",provider=\"p\"} 2\n"))
    }
}

@Suite struct MetricLabelRegistryTests {
    @Test func idsAreAppendOnlyAcrossSnapshots() {
        let registry = MetricLabelRegistry()
        let first = registry.labels(models: ["a", "b"], providers: ["p"])
        let second = registry.labels(models: ["c", "a"], providers: ["q", "p"])
        #expect(first.model("a") == second.model("a"))
        #expect(first.provider("p") == second.provider("p"))
        #expect(registry.modelNames[Int(second.model("c"))] == "c")
        #expect(registry.modelNames[Int(first.model("b"))] == "b")  // still named after the reload dropped it
        #expect(first.model("c") == MetricLabelRegistry.other)  // the old snapshot never learns new names
        #expect(second.model("zzz") == MetricLabelRegistry.other)
        #expect(second.model("") == MetricLabelRegistry.none)
    }
}

@Suite struct MetricNameTableTests {
    @Test func findsEveryNameAndNothingElse() {
        var pairs: [String: UInt16] = [:]
        for index in 0..<300 { pairs["model-\(index)"] = UInt16(index + 2) }
        pairs["ünïcode-é"] = 999
        let table = MetricNameTable(pairs)
        for (name, id) in pairs { #expect(table.id(name) == id) }
        #expect(table.id("model-300") == nil)
        #expect(table.id("model-") == nil)
        #expect(table.id("") == nil)
        #expect(MetricNameTable([:]).id("x") == nil)
        // A substring (not native contiguous storage in every case) finds the same id.
        #expect(table.id(String("xmodel-7".dropFirst())) == 9)
    }
}

@Suite struct MetricShardLabelCacheTests {
    @Test func cachedIdsFollowTheNamesAndTheLabelsSnapshot() {
        let registry = MetricLabelRegistry()
        let first = registry.labels(models: ["a", "b"], providers: ["p"])
        let shard = MetricShard(capacity: 8)
        #expect(shard.ids(model: "a", provider: "p", in: first) == (first.model("a"), first.provider("p")))
        #expect(shard.ids(model: "a", provider: "p", in: first) == (first.model("a"), first.provider("p")))
        #expect(shard.ids(model: "b", provider: "", in: first) == (first.model("b"), MetricLabelRegistry.none))
        #expect(shard.ids(model: "c", provider: "p", in: first).model == MetricLabelRegistry.other)
        // A new snapshot (a reload) that knows "c": the cache does not answer from the old one.
        let second = registry.labels(models: ["c"], providers: ["p"])
        #expect(shard.ids(model: "c", provider: "p", in: second).model == second.model("c"))
        #expect(second.model("c") != MetricLabelRegistry.other)
        #expect(shard.ids(model: "", provider: "", in: .empty) == (MetricLabelRegistry.none, MetricLabelRegistry.none))
    }
}
