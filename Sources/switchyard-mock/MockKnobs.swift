import SwitchyardHTTP

/// How the mock behaves for one request: the command-line defaults, overridden per request by
/// `x-mock-*` headers (so one mock serves every test).
struct MockKnobs: Sendable {
    var delayMilliseconds = 0
    var chunkDelayMilliseconds = 0
    var status = 200
    var cutAfterEvents: Int?
    var chunks: Int?

    func overridden(by headers: HTTPHeaders) -> MockKnobs {
        var knobs = self
        if let value = headers["x-mock-delay-ms"].flatMap(Int.init) { knobs.delayMilliseconds = value }
        if let value = headers["x-mock-chunk-delay-ms"].flatMap(Int.init) { knobs.chunkDelayMilliseconds = value }
        if let value = headers["x-mock-status"].flatMap(Int.init) { knobs.status = value }
        if let value = headers["x-mock-cut-after"].flatMap(Int.init) { knobs.cutAfterEvents = value }
        if let value = headers["x-mock-chunks"].flatMap(Int.init) { knobs.chunks = value }
        return knobs
    }
}
