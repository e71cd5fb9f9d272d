import SwitchyardHTTP

/// How the mock behaves for one request: the command-line defaults, overridden per request by
/// `x-mock-*` headers, so one mock process serves every test. docs/mock-upstream.md lists them.
struct MockKnobs: Sendable {
    /// Milliseconds before the response head (`x-mock-delay-ms`).
    var delayMilliseconds = 0
    /// Milliseconds between stream events (`x-mock-chunk-delay-ms`).
    var chunkDelayMilliseconds = 0
    /// Answer with this status and an OpenAI error body unless 200 (`x-mock-status`).
    var status = 200
    /// Drop the connection after this many stream events, before `[DONE]` (`x-mock-cut-after`).
    var cutAfterEvents: Int?
    /// Stream this many fixed content chunks instead of the echoed words (`x-mock-chunks`).
    var chunks: Int?
    /// Answer with a tool call whatever the message says (`x-mock-tool-call: 1`).
    var forceToolCall = false
    /// `Retry-After` on an error answer (a scripted fault's `retry_after`; a 429 says 1 without it).
    var retryAfter: String?

    // Read only by the non-chat formats (`readingFormatKnobs`), so chat requests, the benchmark's,
    // do not pay for headers they ignore.
    /// Input tokens reported as cache reads (`x-mock-cache-read: N`).
    var cacheReadTokens = 0
    /// Input tokens reported as cache writes (`x-mock-cache-write: N`).
    var cacheWriteTokens = 0
    /// Reason visibly before answering (`x-mock-thinking: 1`).
    var thinking = false
    /// Break the stream with the format's error event after its first content (`x-mock-stream-error: 1`).
    var streamError = false
    /// Milliseconds a batch takes to complete, or a cancel to end it (`--batch-delay-ms`; the
    /// request's `x-mock-batch-delay-ms` wins, read by `batchDelay` on the batch routes only).
    var batchDelayMilliseconds = 500

    func overridden(by headers: HTTPHeaders) -> MockKnobs {
        var knobs = self
        if let value = Self.number(headers["x-mock-delay-ms"]) { knobs.delayMilliseconds = value }
        if let value = Self.number(headers["x-mock-chunk-delay-ms"]) { knobs.chunkDelayMilliseconds = value }
        if let value = Self.number(headers["x-mock-status"]), (100...599).contains(value) { knobs.status = value }
        if let value = Self.number(headers["x-mock-cut-after"]) { knobs.cutAfterEvents = value }
        if let value = Self.number(headers["x-mock-chunks"]) { knobs.chunks = min(value, 100_000) }
        if let value = headers["x-mock-tool-call"] { knobs.forceToolCall = value == "1" || value == "true" }
        return knobs
    }

    /// These knobs plus the ones only the Anthropic, Gemini and Responses formats read.
    func readingFormatKnobs(from headers: HTTPHeaders) -> MockKnobs {
        var knobs = self
        if let value = Self.number(headers["x-mock-cache-read"]) { knobs.cacheReadTokens = value }
        if let value = Self.number(headers["x-mock-cache-write"]) { knobs.cacheWriteTokens = value }
        if let value = headers["x-mock-thinking"] { knobs.thinking = value == "1" || value == "true" }
        if let value = headers["x-mock-stream-error"] { knobs.streamError = value == "1" || value == "true" }
        return knobs
    }

    /// The batch delay for a request that creates or cancels a batch, in nanoseconds.
    func batchDelay(_ headers: HTTPHeaders) -> UInt64 {
        UInt64(Self.number(headers["x-mock-batch-delay-ms"]) ?? batchDelayMilliseconds) * 1_000_000
    }

    /// A non-negative integer header value, or nil.
    private static func number(_ text: String?) -> Int? {
        guard let text, let value = Int(text.trimmingSpaces()), value >= 0 else { return nil }
        return value
    }
}

extension String {
    func trimmingSpaces() -> Substring {
        var view = Substring(self)
        while view.first == " " { view = view.dropFirst() }
        while view.last == " " { view = view.dropLast() }
        return view
    }
}
