import SwitchyardPluginSDK

/// The chat request that asks the judge model, sent to this gateway itself (a path URL, see
/// `http_send`): deterministic (temperature 0) and short (the answer is a verdict, not prose).
enum JudgeRequest {
    static let path = "/v1/chat/completions"
    static let maxTokens = 200
    /// A judge's answer is a few hundred bytes; anything past this is not one.
    static let maxResponseBytes = 256 * 1024

    static func outbound(_ config: JudgeConfig, transcript: String) -> OutboundRequest {
        OutboundRequest(
            method: "POST", url: path, headers: [("Content-Type", "application/json")],
            body: body(config, transcript: transcript), timeoutMilliseconds: config.timeoutMilliseconds)
    }

    static func body(_ config: JudgeConfig, transcript: String) -> [UInt8] {
        var request = JSONObject([
            (key: "model", value: .string(config.model)),
            (key: "messages", value: [
                ["role": "system", "content": .string(config.instructions)],
                ["role": "user", "content": .string(transcript)],
            ]),
            (key: "temperature", value: 0),
            (key: "max_tokens", value: .number(maxTokens)),
        ])
        if config.jsonMode { request["response_format"] = ["type": "json_object"] }
        return JSONValue.object(request).serialized()
    }
}
