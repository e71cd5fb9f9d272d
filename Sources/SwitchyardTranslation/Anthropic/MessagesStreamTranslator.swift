import SwitchyardJSON

/// Canonical `chat.completion.chunk`s → Anthropic Messages stream events, as a state machine.
///
/// Order of events: `message_start` on the first chunk; then for each content block
/// `content_block_start`, its deltas, `content_block_stop`; `message_delta` (stop reason and
/// usage) and `message_stop` from `finish`, because the usage chunk comes after the
/// finish_reason chunk. Block indices count from 0 in order, and only one block is open at a
/// time: a block closes when the kind changes (text, thinking, or a different tool call) or
/// when the finish_reason arrives. `message_start` reports `input_tokens: 0` unless the first
/// chunk already carries usage: a canonical stream reports input tokens only at the end, and
/// the final counts come in `message_delta`.
///
/// A provider that breaks the stream contract (a tool call index going back, a stream ending
/// with no finish_reason) gets an `error` event instead, and `failure` says why. After an
/// `error` event, or `message_stop`, the translator ignores further input.
///
/// One translator per stream; not thread-safe (a stream is read on one loop).
public struct MessagesStreamTranslator {
    private enum Block: Equatable {
        case none, text, thinking, toolUse(Int)
    }

    private let model: String?
    private var writer = JSONWriter(capacity: 512)
    private var started = false
    public private(set) var isFinished = false
    /// Why the translator ended the stream with an `error` event, when it did.
    public private(set) var failure: TranslationError?
    private var open = Block.none
    private var openIndex = -1
    private var highestToolIndex = -1
    private var stopReason: String?
    private var usage: CanonicalUsage?

    /// - Parameter model: the model name to show the client; each chunk's own when nil.
    public init(model: String? = nil) {
        self.model = model
    }

    /// Translates one canonical chunk (already parsed).
    public mutating func feed(_ chunk: JSONValue, _ emit: StreamEventSink) {
        guard !isFinished else { return }
        do throws(TranslationError) {
            try translate(CanonicalChunk(chunk), emit)
        } catch {
            fail(error, emit)
        }
    }

    /// Translates one canonical chunk given as the JSON bytes a provider wrote.
    public mutating func feed(bytes: UnsafeRawBufferPointer, _ emit: StreamEventSink) {
        guard !isFinished else { return }
        guard let chunk = try? JSONValue.parse(bytes) else {
            return fail(.upstream("provider sent a stream chunk that is not valid JSON"), emit)
        }
        feed(chunk, emit)
    }

    /// The canonical stream ended normally: closes the message (`message_delta`, `message_stop`).
    public mutating func finish(_ emit: StreamEventSink) {
        guard !isFinished else { return }
        guard started, let stopReason else {
            return fail(.upstream("provider stream ended without a finish_reason"), emit)
        }
        closeBlock(emit)
        let usage = self.usage ?? CanonicalUsage()
        event("message_delta", emit) { json in
            json.raw(#"{"type":"message_delta","delta":{"stop_reason":"#)
            json.string(stopReason)
            json.raw(#","stop_sequence":null},"usage":"#)
            Self.writeUsage(usage, &json)
            json.raw("}")
        }
        event("message_stop", emit) { json in json.raw(#"{"type":"message_stop"}"#) }
        isFinished = true
    }

    /// The provider failed mid-stream with an OpenAI-shaped error (or none) and a status: ends
    /// the stream with an Anthropic `error` event.
    public mutating func fail(status: Int, openAIError: JSONValue?, _ emit: StreamEventSink) {
        guard !isFinished else { return }
        let error = openAIError?["error"] ?? openAIError
        writeError(
            type: AnthropicErrors.type(status: status, openAIType: error?["type"]?.stringValue),
            message: AnthropicErrors.message(openAIError, status: status), emit)
    }

    // MARK: translation

    private mutating func translate(_ chunk: CanonicalChunk, _ emit: StreamEventSink) throws(TranslationError) {
        if let error = chunk.error { return fail(status: 502, openAIError: error, emit) }
        if let usage = chunk.usage { self.usage = usage }
        if !started { start(chunk, emit) }
        if let thinking = chunk.reasoning, !thinking.isEmpty {
            openBlock(.thinking, emit)
            delta(emit) { json in
                json.raw(#"{"type":"thinking_delta","thinking":"#)
                json.string(thinking)
            }
        }
        if let signature = chunk.reasoningSignature, !signature.isEmpty {
            openBlock(.thinking, emit)
            delta(emit) { json in
                json.raw(#"{"type":"signature_delta","signature":"#)
                json.string(signature)
            }
        }
        for text in [chunk.content, chunk.refusal] {
            guard let text, !text.isEmpty else { continue }
            openBlock(.text, emit)
            delta(emit) { json in
                json.raw(#"{"type":"text_delta","text":"#)
                json.string(text)
            }
        }
        for call in chunk.toolCalls { try toolCall(call, emit) }
        if let finishReason = chunk.finishReason {
            closeBlock(emit)
            stopReason = MessageRendering.stopReason(finishReason)
        }
    }

    private mutating func toolCall(_ call: ToolCallDelta, _ emit: StreamEventSink) throws(TranslationError) {
        if open != .toolUse(call.index) {
            guard call.index > highestToolIndex else {
                throw .upstream("provider sent tool call \(call.index) after tool call \(highestToolIndex) had started")
            }
            guard let id = call.id, let name = call.name else {
                throw .upstream("provider started tool call \(call.index) without an id and a function name")
            }
            highestToolIndex = call.index
            openBlock(.toolUse(call.index), emit) { json in
                json.raw(#"{"type":"tool_use","id":"#)
                json.string(id)
                json.raw(#","name":"#)
                json.string(name)
                json.raw(#","input":{}}"#)
            }
        }
        guard let fragment = call.arguments, !fragment.isEmpty else { return }
        delta(emit) { json in
            json.raw(#"{"type":"input_json_delta","partial_json":"#)
            json.string(fragment)
        }
    }

    private mutating func start(_ chunk: CanonicalChunk, _ emit: StreamEventSink) {
        started = true
        let id = MessageRendering.messageID(chunk.id ?? "")
        let model = self.model ?? chunk.model ?? ""
        let usage = self.usage
        event("message_start", emit) { json in
            json.raw(#"{"type":"message_start","message":{"id":"#)
            json.string(id)
            json.raw(#","type":"message","role":"assistant","model":"#)
            json.string(model)
            json.raw(#","content":[],"stop_reason":null,"stop_sequence":null,"usage":"#)
            if let usage { Self.writeUsage(usage, &json) } else { json.raw(#"{"input_tokens":0,"output_tokens":0}"#) }
            json.raw("}}")
        }
    }

    // MARK: blocks

    /// Makes `block` the open block, closing the previous one; `start` writes a tool_use
    /// block's `content_block` object (text and thinking blocks have fixed ones).
    private mutating func openBlock(_ block: Block, _ emit: StreamEventSink, start: ((inout JSONWriter) -> Void)? = nil) {
        guard open != block else { return }
        closeBlock(emit)
        open = block
        openIndex += 1
        let index = openIndex
        event("content_block_start", emit) { json in
            json.raw(#"{"type":"content_block_start","index":"#)
            json.number(index)
            json.raw(#","content_block":"#)
            switch block {
            case .text: json.raw(#"{"type":"text","text":""}"#)
            case .thinking: json.raw(#"{"type":"thinking","thinking":"","signature":""}"#)
            case .toolUse, .none: start?(&json)
            }
            json.raw("}")
        }
    }

    private mutating func closeBlock(_ emit: StreamEventSink) {
        guard open != .none else { return }
        open = .none
        let index = openIndex
        event("content_block_stop", emit) { json in
            json.raw(#"{"type":"content_block_stop","index":"#)
            json.number(index)
            json.raw("}")
        }
    }

    /// A `content_block_delta` on the open block; `body` writes the delta object up to (not
    /// including) its closing brace.
    private mutating func delta(_ emit: StreamEventSink, _ body: (inout JSONWriter) -> Void) {
        let index = openIndex
        event("content_block_delta", emit) { json in
            json.raw(#"{"type":"content_block_delta","index":"#)
            json.number(index)
            json.raw(#","delta":"#)
            body(&json)
            json.raw("}}")
        }
    }

    // MARK: writing

    private mutating func event(_ name: StaticString, _ emit: StreamEventSink, _ body: (inout JSONWriter) -> Void) {
        writer.bytes.removeAll(keepingCapacity: true)
        body(&writer)
        writer.bytes.withUnsafeBytes { emit(name, $0) }
    }

    private mutating func fail(_ error: TranslationError, _ emit: StreamEventSink) {
        failure = error
        writeError(type: AnthropicErrors.type(forStatus: error.status), message: error.message, emit)
    }

    private mutating func writeError(type: String, message: String, _ emit: StreamEventSink) {
        event("error", emit) { json in
            json.raw(#"{"type":"error","error":{"type":"#)
            json.string(type)
            json.raw(#","message":"#)
            json.string(message)
            json.raw("}}")
        }
        isFinished = true
    }

    private static func writeUsage(_ usage: CanonicalUsage, _ json: inout JSONWriter) {
        json.raw(#"{"input_tokens":"#)
        json.number(usage.uncachedPromptTokens)
        json.raw(#","cache_creation_input_tokens":"#)
        json.number(usage.cacheCreationTokens)
        json.raw(#","cache_read_input_tokens":"#)
        json.number(usage.cachedTokens)
        json.raw(#","output_tokens":"#)
        json.number(usage.completionTokens)
        json.raw("}")
    }
}
