import SwitchyardJSON

/// Canonical `chat.completion.chunk`s → Responses stream events, as a state machine.
///
/// Order: `response.created` and `response.in_progress` on the first chunk; then one output
/// item at a time, each opened with `response.output_item.added` and closed with
/// `response.output_item.done`:
/// - reasoning (`reasoning_content`): `response.reasoning_summary_part.added`,
///   `response.reasoning_summary_text.delta`…, `.done`, `response.reasoning_summary_part.done`;
/// - message (`content`, `refusal`): `response.content_part.added`, `response.output_text.delta`…
///   (or `response.refusal.delta`…), `response.output_text.done`, `response.content_part.done`;
/// - function call (each tool call index): `response.function_call_arguments.delta`…, `.done`.
/// An item closes when the kind changes or the finish_reason arrives; `finish` then sends
/// `response.completed` (or `response.incomplete`) with the full response and usage, which is
/// also left in `response` for the host to store. It equals what
/// `ResponsesIngress.response(fromChatCompletion:for:)` returns for the same content whenever
/// the stream delivers reasoning, then text, then tool calls (the canonical order).
/// `sequence_number` counts every event from 0.
///
/// A failure (reported by the host, sent by the provider as an error chunk, or a broken
/// stream contract) sends `error` and, once the response exists, `response.failed`.
///
/// One translator per stream; not thread-safe.
public struct ResponsesStreamTranslator {
    private enum Open: Equatable {
        case reasoning
        case message(ContentPart.Kind)
        case functionCall(Int)
    }

    private let echo: ResponsesEcho
    private let modelOverride: String?
    private var writer = JSONWriter(capacity: 512)
    private var sequenceNumber = 0
    private var started = false
    public private(set) var isFinished = false
    /// Why the translator failed the stream, when it did.
    public private(set) var failure: TranslationError?
    /// The final response object (completed, incomplete or failed) once the stream has ended.
    public private(set) var response: JSONValue?
    private var responseID = ""
    private var createdAt = 0
    private var model = ""
    private var items: [ResponseOutputItem] = []
    private var open: Open?
    private var highestToolIndex = -1
    private var finishReason: String?
    private var usage: CanonicalUsage?

    /// - Parameters:
    ///   - request: the translated request (its echoes go into every response object).
    ///   - model: the model name to show the client; the chunks' own when nil.
    public init(request: ResponsesTranslation, model: String? = nil) {
        echo = request.echo
        modelOverride = model
    }

    public mutating func feed(_ chunk: JSONValue, _ emit: StreamEventSink) {
        guard !isFinished else { return }
        do throws(TranslationError) {
            try translate(CanonicalChunk(chunk), emit)
        } catch {
            fail(error, emit)
        }
    }

    public mutating func feed(bytes: UnsafeRawBufferPointer, _ emit: StreamEventSink) {
        guard !isFinished else { return }
        guard let chunk = try? JSONValue.parse(bytes) else {
            return fail(.upstream("provider sent a stream chunk that is not valid JSON"), emit)
        }
        feed(chunk, emit)
    }

    /// The canonical stream ended normally: sends `response.completed` / `response.incomplete`.
    public mutating func finish(_ emit: StreamEventSink) {
        guard !isFinished else { return }
        guard started, let finishReason else { return fail(.upstream("provider stream ended without a finish_reason"), emit) }
        let outcome = ResponseOutcome(finishReason: finishReason)
        close(status: outcome.lastItemStatus, emit)
        let final = render(outcome, usage: usage ?? CanonicalUsage())
        response = final
        event(outcome.status == "incomplete" ? "response.incomplete" : "response.completed", emit) { json in
            json.raw(#","response":"#)
            json.value(final)
        }
        isFinished = true
    }

    /// The provider failed mid-stream with an OpenAI-shaped error (or none) and a status.
    public mutating func fail(status: Int, openAIError: JSONValue?, _ emit: StreamEventSink) {
        guard !isFinished else { return }
        let error = openAIError?["error"] ?? openAIError
        let code = error?["code"]?.stringValue ?? (status == 429 ? "rate_limit_exceeded" : "server_error")
        let message = error?["message"]?.stringValue ?? "upstream returned HTTP \(status)"
        event("error", emit) { json in
            json.raw(#","code":"#)
            json.string(code)
            json.raw(#","message":"#)
            json.string(message)
            json.raw(#","param":null"#)
        }
        if started {
            let failed = render(.failed, usage: usage, error: ["code": .string(code), "message": .string(message)])
            response = failed
            event("response.failed", emit) { json in
                json.raw(#","response":"#)
                json.value(failed)
            }
        }
        isFinished = true
    }

    // MARK: translation

    private mutating func translate(_ chunk: CanonicalChunk, _ emit: StreamEventSink) throws(TranslationError) {
        if let error = chunk.error { return fail(status: 502, openAIError: error, emit) }
        if let usage = chunk.usage { self.usage = usage }
        if !started { start(chunk, emit) }
        if let text = chunk.reasoning, !text.isEmpty { reasoningDelta(text, emit) }
        if let signature = chunk.reasoningSignature, !signature.isEmpty {
            openItem(.reasoning, emit)
            items[items.count - 1].signature = (items[items.count - 1].signature ?? "") + signature
        }
        if let text = chunk.content, !text.isEmpty { messageDelta(text, kind: .outputText, emit) }
        if let text = chunk.refusal, !text.isEmpty { messageDelta(text, kind: .refusal, emit) }
        for call in chunk.toolCalls { try toolCallDelta(call, emit) }
        if let reason = chunk.finishReason {
            finishReason = reason
            close(status: ResponseOutcome(finishReason: reason).lastItemStatus, emit)
        }
    }

    private mutating func start(_ chunk: CanonicalChunk, _ emit: StreamEventSink) {
        started = true
        responseID = ResponseRendering.responseID(chunk.id ?? "")
        createdAt = chunk.created ?? 0
        model = modelOverride ?? chunk.model ?? ""
        let initial = render(.inProgress, usage: nil)
        for name: StaticString in ["response.created", "response.in_progress"] {
            event(name, emit) { json in
                json.raw(#","response":"#)
                json.value(initial)
            }
        }
    }

    private mutating func reasoningDelta(_ text: String, _ emit: StreamEventSink) {
        openItem(.reasoning, emit)
        let last = items.count - 1
        let position = (id: items[last].id, index: last)
        if items[last].reasoning.isEmpty {
            event("response.reasoning_summary_part.added", emit) { json in
                Self.writePosition(&json, position)
                json.raw(#","summary_index":0,"part":{"type":"summary_text","text":""}"#)
            }
        }
        items[last].reasoning += text
        event("response.reasoning_summary_text.delta", emit) { json in
            Self.writePosition(&json, position)
            json.raw(#","summary_index":0,"delta":"#)
            json.string(text)
        }
    }

    private mutating func messageDelta(_ text: String, kind: ContentPart.Kind, _ emit: StreamEventSink) {
        openItem(.message(kind), emit)
        let last = items.count - 1
        let position = (id: items[last].id, index: last)
        let part = items[last].parts.count - 1
        items[last].parts[part].text += text
        event(kind == .outputText ? "response.output_text.delta" : "response.refusal.delta", emit) { json in
            Self.writePosition(&json, position)
            json.raw(#","content_index":"#)
            json.number(part)
            json.raw(#","delta":"#)
            json.string(text)
            if kind == .outputText { json.raw(#","logprobs":[]"#) }
        }
    }

    private mutating func toolCallDelta(_ call: ToolCallDelta, _ emit: StreamEventSink) throws(TranslationError) {
        if open != .functionCall(call.index) {
            guard call.index > highestToolIndex else {
                throw .upstream("provider sent tool call \(call.index) after tool call \(highestToolIndex) had started")
            }
            guard let id = call.id, let name = call.name else {
                throw .upstream("provider started tool call \(call.index) without an id and a function name")
            }
            highestToolIndex = call.index
            openItem(.functionCall(call.index), emit) { item in
                item.callID = id
                item.name = name
            }
        }
        guard let fragment = call.arguments, !fragment.isEmpty else { return }
        let last = items.count - 1
        let position = (id: items[last].id, index: last)
        items[last].arguments += fragment
        event("response.function_call_arguments.delta", emit) { json in
            Self.writePosition(&json, position)
            json.raw(#","delta":"#)
            json.string(fragment)
        }
    }

    // MARK: items

    /// Makes `kind` the open item (or, within a message, the open content part), closing what
    /// was open; `setUp` fills a new item before it is announced.
    private mutating func openItem(_ kind: Open, _ emit: StreamEventSink, setUp: (inout ResponseOutputItem) -> Void = { _ in }) {
        guard open != kind else { return }
        if case .message = open, case .message(let partKind) = kind {
            closePart(emit)
            open = kind
            return openPart(partKind, emit)
        }
        close(status: "completed", emit)
        let itemKind: ResponseOutputItem.Kind = switch kind {
        case .reasoning: .reasoning
        case .message: .message
        case .functionCall: .functionCall
        }
        var item = ResponseOutputItem(kind: itemKind, responseID: responseID, outputIndex: items.count)
        setUp(&item)
        items.append(item)
        open = kind
        let index = items.count - 1
        event("response.output_item.added", emit) { json in
            json.raw(#","output_index":"#)
            json.number(index)
            json.raw(#","item":"#)
            json.value(item.json)
        }
        if case .message(let partKind) = kind { openPart(partKind, emit) }
    }

    private mutating func openPart(_ kind: ContentPart.Kind, _ emit: StreamEventSink) {
        let last = items.count - 1
        let position = (id: items[last].id, index: last)
        items[last].parts.append(ContentPart(kind: kind, text: ""))
        let part = items[last].parts[items[last].parts.count - 1]
        let index = items[last].parts.count - 1
        event("response.content_part.added", emit) { json in
            Self.writePosition(&json, position)
            json.raw(#","content_index":"#)
            json.number(index)
            json.raw(#","part":"#)
            json.value(part.json)
        }
    }

    private mutating func closePart(_ emit: StreamEventSink) {
        let last = items.count - 1
        let position = (id: items[last].id, index: last)
        let index = items[last].parts.count - 1
        let part = items[last].parts[index]
        event(part.kind == .outputText ? "response.output_text.done" : "response.refusal.done", emit) { json in
            Self.writePosition(&json, position)
            json.raw(#","content_index":"#)
            json.number(index)
            json.raw(part.kind == .outputText ? #","text":"# : #","refusal":"#)
            json.string(part.text)
            if part.kind == .outputText { json.raw(#","logprobs":[]"#) }
        }
        event("response.content_part.done", emit) { json in
            Self.writePosition(&json, position)
            json.raw(#","content_index":"#)
            json.number(index)
            json.raw(#","part":"#)
            json.value(part.json)
        }
    }

    /// Closes the open item, if any, giving it `status`.
    private mutating func close(status: String, _ emit: StreamEventSink) {
        guard let kind = open else { return }
        open = nil
        let last = items.count - 1
        let position = (id: items[last].id, index: last)
        switch kind {
        case .reasoning:
            let text = items[last].reasoning
            if !text.isEmpty {
                event("response.reasoning_summary_text.done", emit) { json in
                    Self.writePosition(&json, position)
                    json.raw(#","summary_index":0,"text":"#)
                    json.string(text)
                }
                event("response.reasoning_summary_part.done", emit) { json in
                    Self.writePosition(&json, position)
                    json.raw(#","summary_index":0,"part":{"type":"summary_text","text":"#)
                    json.string(text)
                    json.raw("}")
                }
            }
        case .message:
            closePart(emit)
        case .functionCall:
            let item = items[last]
            event("response.function_call_arguments.done", emit) { json in
                Self.writePosition(&json, position)
                json.raw(#","name":"#)
                json.string(item.name)
                json.raw(#","arguments":"#)
                json.string(item.arguments)
            }
        }
        items[last].status = status
        let item = items[last]
        event("response.output_item.done", emit) { json in
            json.raw(#","output_index":"#)
            json.number(last)
            json.raw(#","item":"#)
            json.value(item.json)
        }
    }

    // MARK: writing

    private func render(_ outcome: ResponseOutcome, usage: CanonicalUsage?, error: JSONValue = .null) -> JSONValue {
        ResponseRendering.response(
            id: responseID, createdAt: createdAt, model: model, outcome: outcome, output: items, usage: usage, echo: echo, error: error)
    }

    /// `,"item_id":…,"output_index":…` for an item.
    private static func writePosition(_ json: inout JSONWriter, _ position: (id: String, index: Int)) {
        json.raw(#","item_id":"#)
        json.string(position.id)
        json.raw(#","output_index":"#)
        json.number(position.index)
    }

    /// One event: `{"type":name,"sequence_number":n` + what `body` writes + `}`.
    private mutating func event(_ name: StaticString, _ emit: StreamEventSink, _ body: (inout JSONWriter) -> Void) {
        writer.bytes.removeAll(keepingCapacity: true)
        writer.raw(#"{"type":""#)
        writer.raw(name)
        writer.raw(#"","sequence_number":"#)
        writer.number(sequenceNumber)
        sequenceNumber += 1
        body(&writer)
        writer.raw("}")
        writer.bytes.withUnsafeBytes { emit(name, $0) }
    }

    private mutating func fail(_ error: TranslationError, _ emit: StreamEventSink) {
        failure = error
        fail(status: error.status, openAIError: error.openAIBody, emit)
    }
}
