import SwitchyardPluginSDK

/// Anthropic stream events → canonical `chat.completion.chunk` objects, one response's state.
///
/// Order on the wire: message_start, then per content block content_block_start, deltas,
/// content_block_stop; then message_delta (stop reason, final usage) and message_stop; `ping`
/// may come anywhere and an `error` event may end the stream. Deltas are the hot path: their
/// strings are copied into the chunk as the JSON literals they already are.
struct ChatStreamMachine {
    enum Step {
        case nothing
        case emit([UInt8])
        /// message_stop: the last chunks, then the usage metadata; the response is complete.
        case complete(chunks: [[UInt8]], meta: [UInt8])
        /// The stream reported or suffered an error: the OpenAI-shaped error body, the usage
        /// so far when the upstream had started answering, and the failure.
        case fail(errorBody: [UInt8], meta: [UInt8]?, PluginError)
    }

    private enum Phase { case awaitingStart, streaming, complete }
    private enum Block { case text, toolUse(index: Int), thinking, other }

    private let created: Int
    private let includeUsage: Bool
    private var phase = Phase.awaitingStart
    /// Content block index → what it is; tool calls are numbered apart, from 0.
    private var blocks: [Int: Block] = [:]
    private var toolCalls = 0
    private var usage = AnthropicUsage()
    private var finishWritten = false
    /// `{"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[`, built at message_start.
    private var head: [UInt8] = []

    init(created: Int, includeUsage: Bool) {
        self.created = created
        self.includeUsage = includeUsage
    }

    mutating func consume(_ data: UnsafeRawBufferPointer) -> Step {
        guard phase != .complete else { return .nothing }
        guard let event = try? RawObject(data) else { return broken("anthropic sent a stream event that is not a JSON object") }
        if event.has("type", #""content_block_delta""#) { return delta(event) }
        if event.has("type", #""ping""#) { return .nothing }
        if event.has("type", #""error""#) { return reportedError(event) }
        if event.has("type", #""message_start""#) { return start(event) }
        guard phase == .streaming else {
            return broken("anthropic sent \(event.string("type") ?? "an event") before message_start")
        }
        if event.has("type", #""content_block_start""#) { return blockStart(event) }
        if event.has("type", #""message_delta""#) { return messageDelta(event) }
        if event.has("type", #""message_stop""#) { return stop() }
        return .nothing  // content_block_stop, and event types added later (Anthropic's versioning policy)
    }

    /// The upstream closed the stream.
    func endOfStream() -> Step? {
        phase == .complete ? nil : broken("anthropic stream ended before message_stop")
    }

    // MARK: events

    private mutating func start(_ event: RawObject) -> Step {
        guard phase == .awaitingStart, let message = event.object("message") else {
            return broken("anthropic sent an unexpected message_start")
        }
        if let counts = message.object("usage") { usage.update(counts) }
        var json = JSONWriter(capacity: 160)
        json.raw(#"{"id":"#)
        json.raw(message.rawString("id") ?? Self.emptyString)
        json.raw(#","object":"chat.completion.chunk","created":"#)
        json.number(created)
        json.raw(#","model":"#)
        json.raw(message.rawString("model") ?? Self.emptyString)
        json.raw(#","choices":["#)
        head = json.bytes
        phase = .streaming
        return .emit(chunk { $0.raw(#"{"role":"assistant","content":""}"#) })
    }

    private mutating func blockStart(_ event: RawObject) -> Step {
        guard let index = event.int("index"), let block = event.object("content_block") else {
            return broken("anthropic sent a content_block_start without index or content_block")
        }
        if block.has("type", #""text""#) {
            blocks[index] = .text
            return nonEmpty(block.rawString("text"), key: #"{"content":"#)
        }
        if block.has("type", #""tool_use""#) {
            let toolIndex = toolCalls
            toolCalls += 1
            blocks[index] = .toolUse(index: toolIndex)
            return .emit(chunk { json in
                json.raw(#"{"tool_calls":[{"index":"#)
                json.number(toolIndex)
                json.raw(#","id":"#)
                json.raw(block.rawString("id") ?? Self.emptyString)
                json.raw(#","type":"function","function":{"name":"#)
                json.raw(block.rawString("name") ?? Self.emptyString)
                json.raw(#","arguments":""}}]}"#)
            })
        }
        if block.has("type", #""thinking""#) {
            blocks[index] = .thinking
            return nonEmpty(block.rawString("thinking"), key: #"{"reasoning_content":"#)
        }
        // redacted_thinking (encrypted, no canonical field) and server-side tool blocks.
        blocks[index] = .other
        return .nothing
    }

    private mutating func delta(_ event: RawObject) -> Step {
        guard phase == .streaming, let index = event.int("index"), let delta = event.object("delta") else {
            return broken("anthropic sent a content_block_delta out of place")
        }
        if delta.has("type", #""text_delta""#) { return nonEmpty(delta.rawString("text"), key: #"{"content":"#) }
        if delta.has("type", #""input_json_delta""#) {
            guard case .toolUse(let toolIndex)? = blocks[index], let fragment = delta.rawString("partial_json") else { return .nothing }
            guard fragment.count > 2 else { return .nothing }  // "" adds nothing to the arguments
            return .emit(chunk { json in
                json.raw(#"{"tool_calls":[{"index":"#)
                json.number(toolIndex)
                json.raw(#","function":{"arguments":"#)
                json.raw(fragment)
                json.raw("}}]}")
            })
        }
        if delta.has("type", #""thinking_delta""#) { return nonEmpty(delta.rawString("thinking"), key: #"{"reasoning_content":"#) }
        if delta.has("type", #""signature_delta""#) { return nonEmpty(delta.rawString("signature"), key: #"{"reasoning_signature":"#) }
        return .nothing  // citations_delta and later delta types
    }

    private mutating func messageDelta(_ event: RawObject) -> Step {
        if let counts = event.object("usage") { usage.update(counts) }
        guard !finishWritten else { return .nothing }
        let reason = event.object("delta")?.string("stop_reason")
        return .emit(finishChunk(FinishReason.canonical(reason)))
    }

    private mutating func stop() -> Step {
        phase = .complete
        var chunks: [[UInt8]] = []
        if !finishWritten { chunks.append(finishChunk("stop")) }
        if includeUsage {
            var json = JSONWriter(capacity: head.count + 160)
            json.bytes += head
            json.raw(#"],"usage":"#)
            usage.write(&json)
            json.raw("}")
            chunks.append(json.bytes)
        }
        return .complete(chunks: chunks, meta: usage.meta)
    }

    /// An `error` event: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`.
    /// Before message_start nothing has reached the client, so a fallback may still answer.
    private mutating func reportedError(_ event: RawObject) -> Step {
        let error = event.object("error")
        let type = error?.string("type") ?? "api_error"
        let message = error?.string("message") ?? "anthropic reported an error mid-stream"
        let transient = ["overloaded_error", "api_error", "rate_limit_error"].contains(type)
        let failure = PluginError(SY_E_UPSTREAM, "anthropic stream error (\(type)): \(message)", httpStatus: 502,
                                  retryable: phase == .awaitingStart && transient)
        let meta = phase == .awaitingStart ? nil : usage.meta
        phase = .complete
        return .fail(errorBody: UpstreamError.openAIBody(message: message, type: type, code: type), meta: meta, failure)
    }

    private func broken(_ message: String) -> Step {
        let failure = PluginError(SY_E_UPSTREAM, message, httpStatus: 502, retryable: phase == .awaitingStart)
        return .fail(errorBody: UpstreamError.openAIBody(message: message, type: "api_error", code: nil),
                     meta: phase == .awaitingStart ? nil : usage.meta, failure)
    }

    // MARK: chunks

    private func chunk(finishReason: StaticString? = nil, _ delta: (inout JSONWriter) -> Void) -> [UInt8] {
        var json = JSONWriter(capacity: head.count + 96)
        json.bytes += head
        json.raw(#"{"index":0,"delta":"#)
        delta(&json)
        json.raw(#","finish_reason":"#)
        if let finishReason {
            json.raw("\"")
            json.raw(finishReason)
            json.raw("\"")
        } else {
            json.raw("null")
        }
        json.raw("}]}")
        return json.bytes
    }

    /// A delta `{"<key>":<string literal>}`, or nothing for an empty string.
    private func nonEmpty(_ literal: UnsafeRawBufferPointer?, key: StaticString) -> Step {
        guard let literal, literal.count > 2 else { return .nothing }
        return .emit(chunk { json in
            json.raw(key)
            json.raw(literal)
            json.raw("}")
        })
    }

    private mutating func finishChunk(_ reason: StaticString) -> [UInt8] {
        finishWritten = true
        return chunk(finishReason: reason) { $0.raw("{}") }
    }

    private static var emptyString: UnsafeRawBufferPointer {
        let quotes: StaticString = #""""#
        return UnsafeRawBufferPointer(start: quotes.utf8Start, count: quotes.utf8CodeUnitCount)
    }
}
