import SwitchyardPluginSDK

/// `streamGenerateContent?alt=sse` → `chat.completion.chunk`s.
///
/// Each SSE event is a whole `GenerateContentResponse` fragment: text arrives in pieces,
/// function calls arrive whole, and the last fragment of a candidate carries `finishReason`
/// (usageMetadata rides on every fragment, complete on the last). Per candidate (= choice):
/// the first chunk carries `role`, each function call becomes one tool_call delta with index,
/// id, name and its complete arguments (indices count calls from 0 over the whole stream),
/// and the finish chunk follows the candidate's last content. Usage goes to the host as
/// metadata at the end, and to the client as a final chunk only with `include_usage`.
/// A stream that ends before every candidate finished was cut: 502.
final class ChatStream: ResponseTransformer {
    private struct Choice {
        var started = false
        var toolCalls = 0
        var finished = false
    }

    private let facts: CallFacts
    private let created: Int
    private var model: String
    private let requestID: String
    private var parser = ServerSentEvents()
    private var choices: [Int: Choice] = [:]
    private var id: String?
    private var usage: JSONValue?
    private var nextCall = 0

    init(facts: CallFacts, created: Int, model: String, requestID: String) {
        self.facts = facts
        self.created = created
        self.model = model
        self.requestID = requestID
    }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        try parser.feed(chunk) { (event) throws(PluginError) in try self.event(event, out) }
    }

    func end(out: Sink) throws(PluginError) {
        guard !choices.isEmpty, choices.values.allSatisfy(\.finished), !parser.holdsPartialEvent else {
            throw PluginError(SY_E_UPSTREAM, "gemini stream ended before a finishReason", httpStatus: 502, retryable: true)
        }
        let usage = Usage.canonical(usage)
        Usage.emit(usage, out)
        if facts.includeUsage {
            try send(["id": .string(id ?? ""), "object": "chat.completion.chunk", "created": .number(created),
                      "model": .string(model), "choices": [], "usage": usage], out)
        }
    }

    private func event(_ bytes: UnsafeRawBufferPointer, _ out: Sink) throws(PluginError) {
        guard let response = try? JSONValue.parse(bytes), response.objectValue != nil else {
            throw PluginError(SY_E_UPSTREAM, "gemini sent a stream event that is not a JSON object", httpStatus: 502)
        }
        if let error = UpstreamError.geminiError(response) {
            // Mid-stream the client's status line is already sent: 502, retryable as Gemini's code says.
            let message = error["message"]?.stringValue ?? "gemini reported an error mid-stream"
            throw UpstreamError.fail(status: 502, message: message, code: error["status"]?.stringValue,
                                     retryable: UpstreamErrorPolicy.isRetryable(status: error["code"]?.intValue ?? 502), out: out)
        }
        try PromptBlock.check(response, out: out)
        if id == nil {
            id = ChatResponse.completionID(response, requestID: requestID)
            if let version = response["modelVersion"]?.stringValue { model = version }
        }
        if let metadata = response["usageMetadata"], !metadata.isNull { usage = metadata }
        for (position, candidate) in (response["candidates"]?.arrayValue ?? []).enumerated() {
            try self.candidate(candidate, index: candidate["index"]?.intValue ?? position, out)
        }
    }

    private func candidate(_ candidate: JSONValue, index: Int, _ out: Sink) throws(PluginError) {
        var state = choices[index] ?? Choice()
        guard !state.finished else {
            throw PluginError(SY_E_UPSTREAM, "gemini sent content for candidate \(index) after its finishReason", httpStatus: 502)
        }
        let content = CandidateContent(candidate, nextCall: &nextCall)
        var delta = JSONObject()
        if !state.started { delta["role"] = "assistant" }
        if content.hasText { delta["content"] = .string(content.text) }
        if !content.reasoning.isEmpty { delta["reasoning_content"] = .string(content.reasoning) }
        if let signature = content.signature { delta["reasoning_signature"] = .string(signature) }
        if !content.toolCalls.isEmpty {
            delta["tool_calls"] = .array(content.toolCalls.map { call in
                defer { state.toolCalls += 1 }
                return ["index": .number(state.toolCalls), "id": .string(call.id), "type": "function",
                        "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
            })
        }
        let logprobs = facts.logprobs && candidate["logprobsResult"] != nil
        if delta.count > 0 || logprobs {
            state.started = true
            var choice = JSONObject([(key: "index", value: .number(index)), (key: "delta", value: .object(delta))])
            if logprobs { choice["logprobs"] = CandidateLogprobs.canonical(candidate["logprobsResult"]) }
            choice["finish_reason"] = .null
            try send(chunk(choice), out)
        }
        if let reason = candidate["finishReason"]?.stringValue {
            state.finished = true
            let finish = CandidateContent.finishReason(reason, hadToolCalls: state.toolCalls > 0)
            try send(chunk(["index": .number(index), "delta": [:], "finish_reason": .string(finish)]), out)
        }
        choices[index] = state
    }

    private func chunk(_ choice: JSONObject) -> JSONValue { chunk(.object(choice)) }

    private func chunk(_ choice: JSONValue) -> JSONValue {
        ["id": .string(id ?? ""), "object": "chat.completion.chunk", "created": .number(created), "model": .string(model), "choices": [choice]]
    }

    private func send(_ chunk: JSONValue, _ out: Sink) throws(PluginError) {
        guard out.json(chunk.serialized()) else { throw PluginError(SY_E_CANCELLED, "client went away") }
    }
}
