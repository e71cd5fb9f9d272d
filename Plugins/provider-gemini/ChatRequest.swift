import SwitchyardPluginSDK

/// A canonical chat completions body → a Gemini `GenerateContentRequest`.
///
/// Every top-level field is accounted for: translated, ignored because it changes nothing
/// Gemini could observe, or rejected. An unknown field is rejected rather than dropped, so a
/// client never silently loses a behaviour it asked for.
struct ChatRequest {
    let contents: JSONValue
    let systemInstruction: JSONValue?
    let tools: JSONValue?
    let toolConfig: JSONValue?
    let generationConfig: JSONValue?

    /// Fields read by this translation.
    static let translated: Set<String> = [
        "model", "messages", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls",
        "temperature", "top_p", "top_k", "n", "seed", "presence_penalty", "frequency_penalty", "max_tokens",
        "max_completion_tokens", "stop", "response_format", "logprobs", "top_logprobs", "reasoning_effort",
        "modalities", "logit_bias", "audio",
    ]
    /// Fields with no effect Gemini could honour or a client could observe (bookkeeping for OpenAI).
    static let ignored: Set<String> = ["user", "store", "metadata", "service_tier", "safety_identifier", "prompt_cache_key"]

    init(_ body: JSONObject) throws(PluginError) {
        for key in body.keys where !Self.translated.contains(key) && !Self.ignored.contains(key) {
            throw Rejection.unsupported(key, "this field has no Gemini equivalent")
        }
        try Self.checkOutputKinds(body)
        try Tools.checkParallel(body["parallel_tool_calls"])

        let conversation = try Conversation(body["messages"])
        contents = .array(conversation.contents)
        systemInstruction = conversation.systemInstruction
        tools = try Tools.declarations(body["tools"])
        toolConfig = try Tools.config(body["tool_choice"])
        generationConfig = try GenerationConfig.build(body).config
    }

    /// The `generateContent` / `streamGenerateContent` body.
    var generateContentBody: JSONValue {
        var object = JSONObject([(key: "contents", value: contents)])
        if let systemInstruction { object["systemInstruction"] = systemInstruction }
        if let tools { object["tools"] = tools }
        if let toolConfig { object["toolConfig"] = toolConfig }
        if let generationConfig { object["generationConfig"] = generationConfig }
        return .object(object)
    }

    /// The `countTokens` body: what the prompt costs, so no generationConfig.
    func countTokensBody(model: String) -> JSONValue {
        var request = JSONObject([(key: "model", value: .string("models/" + model)), (key: "contents", value: contents)])
        if let systemInstruction { request["systemInstruction"] = systemInstruction }
        if let tools { request["tools"] = tools }
        if let toolConfig { request["toolConfig"] = toolConfig }
        return ["generateContentRequest": .object(request)]
    }

    /// Text out only: audio output and token biasing have no Gemini equivalent here.
    private static func checkOutputKinds(_ body: JSONObject) throws(PluginError) {
        if let modalities = body["modalities"], !modalities.isNull {
            guard let list = modalities.arrayValue else { throw Rejection.invalid("modalities", "must be an array") }
            for modality in list where modality.stringValue != "text" {
                throw Rejection.unsupported("modalities", "only text output (got \(modality.jsonText))")
            }
        }
        if let audio = body["audio"], !audio.isNull {
            throw Rejection.unsupported("audio", "audio output")
        }
        if let bias = body["logit_bias"], !bias.isNull, bias.objectValue?.count != 0 {
            throw Rejection.unsupported("logit_bias", "Gemini has no per-token bias")
        }
    }
}
