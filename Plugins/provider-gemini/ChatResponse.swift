import SwitchyardPluginSDK

/// A whole `GenerateContentResponse` → an OpenAI `chat.completion`.
struct ChatResponse {
    let facts: CallFacts
    /// Unix seconds for `created` (Gemini gives no creation time).
    let created: Int
    let model: String
    let requestID: String

    func write(_ response: JSONValue, _ out: Sink) throws(PluginError) {
        try PromptBlock.check(response, out: out)
        guard let candidates = response["candidates"]?.arrayValue, !candidates.isEmpty else {
            throw PluginError(SY_E_UPSTREAM, "gemini returned no candidates", httpStatus: 502, retryable: true)
        }
        var nextCall = 0
        var choices: [JSONValue] = []
        for (position, candidate) in candidates.enumerated() {
            choices.append(choice(candidate, index: candidate["index"]?.intValue ?? position, nextCall: &nextCall))
        }
        let usage = Usage.canonical(response["usageMetadata"])
        let completion: JSONValue = [
            "id": .string(Self.completionID(response, requestID: requestID)),
            "object": "chat.completion",
            "created": .number(created),
            "model": .string(response["modelVersion"]?.stringValue ?? model),
            "choices": .array(choices),
            "usage": usage,
        ]
        out.json(completion.serialized())
        Usage.emit(usage, out)
    }

    private func choice(_ candidate: JSONValue, index: Int, nextCall: inout Int) -> JSONValue {
        let content = CandidateContent(candidate, nextCall: &nextCall)
        var message = JSONObject([
            (key: "role", value: "assistant"),
            (key: "content", value: content.hasText ? .string(content.text) : .null),
        ])
        if !content.toolCalls.isEmpty {
            message["tool_calls"] = .array(content.toolCalls.map { call in
                ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
            })
        }
        if !content.reasoning.isEmpty { message["reasoning_content"] = .string(content.reasoning) }
        if let signature = content.signature { message["reasoning_signature"] = .string(signature) }
        message["refusal"] = .null
        var choice = JSONObject([
            (key: "index", value: .number(index)),
            (key: "message", value: .object(message)),
        ])
        if facts.logprobs { choice["logprobs"] = CandidateLogprobs.canonical(candidate["logprobsResult"]) }
        let reason = candidate["finishReason"]?.stringValue ?? "STOP"
        choice["finish_reason"] = .string(CandidateContent.finishReason(reason, hadToolCalls: !content.toolCalls.isEmpty))
        return .object(choice)
    }

    /// Gemini's `responseId` when it sends one, else the gateway's request id.
    static func completionID(_ response: JSONValue, requestID: String) -> String {
        "chatcmpl-" + (response["responseId"]?.stringValue ?? requestID)
    }
}
