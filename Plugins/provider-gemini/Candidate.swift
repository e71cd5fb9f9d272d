import SwitchyardPluginSDK

/// What one Gemini candidate (or one streamed fragment of it) says, in canonical terms.
struct CandidateContent {
    var text = ""
    var hasText = false
    var reasoning = ""
    /// The first `thoughtSignature` of the parts: canonical `reasoning_signature`.
    var signature: String?
    var toolCalls: [(id: String, name: String, arguments: String)] = []

    /// Reads `content.parts`. Function calls without a Gemini `id` get "call_<n>", `n` counting
    /// from `nextCall` across the whole response or stream, so every id in it is unique.
    /// Parts that cannot occur for requests this provider builds (inline images, executable
    /// code) are skipped.
    init(_ candidate: JSONValue, nextCall: inout Int) {
        for part in candidate["content"]?["parts"]?.arrayValue ?? [] {
            if signature == nil, let signature = part["thoughtSignature"]?.stringValue { self.signature = signature }
            if let call = part["functionCall"] {
                let id = call["id"]?.stringValue ?? "call_\(nextCall)"
                nextCall += 1
                let arguments = call["args"].flatMap { $0.isNull ? nil : $0 } ?? [:]
                toolCalls.append((id, call["name"]?.stringValue ?? "", arguments.jsonText))
            } else if let text = part["text"]?.stringValue {
                if part["thought"]?.boolValue == true {
                    reasoning += text
                } else {
                    self.text += text
                    hasText = true
                }
            }
        }
    }

    /// Gemini finishReason → canonical finish_reason. STOP with function calls is `tool_calls`
    /// (Gemini says STOP there). Reasons without a canonical counterpart (OTHER, LANGUAGE,
    /// MALFORMED_FUNCTION_CALL, ...) become `stop`.
    static func finishReason(_ reason: String, hadToolCalls: Bool) -> String {
        switch reason {
        case "STOP": hadToolCalls ? "tool_calls" : "stop"
        case "MAX_TOKENS": "length"
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY": "content_filter"
        default: hadToolCalls ? "tool_calls" : "stop"
        }
    }
}

/// Gemini `logprobsResult` → OpenAI `logprobs` {content:[{token, logprob, bytes, top_logprobs}]}.
/// `chosenCandidates[i]` is the sampled token of step i and `topCandidates[i].candidates` the
/// alternatives at that step, which is exactly OpenAI's shape.
enum CandidateLogprobs {
    static func canonical(_ result: JSONValue?) -> JSONValue {
        let chosen = result?["chosenCandidates"]?.arrayValue ?? []
        let top = result?["topCandidates"]?.arrayValue ?? []
        var content: [JSONValue] = []
        for (step, token) in chosen.enumerated() {
            var entry = entryObject(token)
            let alternatives = top.indices.contains(step) ? top[step]["candidates"]?.arrayValue ?? [] : []
            entry["top_logprobs"] = .array(alternatives.map { .object(entryObject($0)) })
            content.append(.object(entry))
        }
        return ["content": .array(content), "refusal": nil]
    }

    private static func entryObject(_ token: JSONValue) -> JSONObject {
        let text = token["token"]?.stringValue ?? ""
        return JSONObject([
            (key: "token", value: .string(text)),
            (key: "logprob", value: token["logProbability"] ?? .number(0)),
            (key: "bytes", value: .array(text.utf8.map { .number(Int($0)) })),
        ])
    }
}
