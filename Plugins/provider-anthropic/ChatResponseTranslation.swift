import SwitchyardPluginSDK

/// An Anthropic `message` → a canonical `chat.completion`.
///
/// Text blocks are joined (Anthropic splits text around citations); tool_use blocks become
/// tool_calls with the input as compact JSON arguments; thinking blocks become
/// reasoning_content (joined) and reasoning_signature (the last block's: the canonical form has
/// room for one). redacted_thinking blocks are encrypted and have no canonical field: they are
/// left out (the native /v1/messages route keeps them).
enum ChatResponseTranslation {
    static func chatCompletion(_ message: JSONValue, created: Int) throws(PluginError) -> (body: [UInt8], usage: AnthropicUsage) {
        guard message["type"]?.stringValue == "message", let blocks = message["content"]?.arrayValue else {
            throw PluginError(SY_E_UPSTREAM, "anthropic sent a response that is not a message", httpStatus: 502, retryable: true)
        }
        var text = ""
        var hasText = false
        var reasoning: String?
        var signature: String?
        var toolCalls: [JSONValue] = []
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text":
                text += block["text"]?.stringValue ?? ""
                hasText = true
            case "thinking":
                reasoning = (reasoning ?? "") + (block["thinking"]?.stringValue ?? "")
                signature = block["signature"]?.stringValue ?? signature
            case "tool_use":
                let arguments = (block["input"] ?? .object(JSONObject())).jsonText
                toolCalls.append([
                    "id": block["id"] ?? "", "type": "function",
                    "function": ["name": block["name"] ?? "", "arguments": .string(arguments)],
                ])
            default:
                continue  // redacted_thinking, server tool blocks
            }
        }
        var usage = AnthropicUsage()
        if let counts = message["usage"] { usage.update(counts) }

        var reply = JSONObject(["role": "assistant", "content": hasText ? .string(text) : nil])
        if !toolCalls.isEmpty { reply["tool_calls"] = .array(toolCalls) }
        if let reasoning { reply["reasoning_content"] = .string(reasoning) }
        if let signature { reply["reasoning_signature"] = .string(signature) }
        reply["refusal"] = .some(.null)

        var json = JSONWriter(capacity: 512)
        json.raw(#"{"id":"#)
        json.value(message["id"] ?? "")
        json.raw(#","object":"chat.completion","created":"#)
        json.number(created)
        json.raw(#","model":"#)
        json.value(message["model"] ?? "")
        json.raw(#","choices":[{"index":0,"message":"#)
        json.value(.object(reply))
        json.raw(#","finish_reason":""#)
        json.raw(FinishReason.canonical(message["stop_reason"]?.stringValue))
        json.raw(#""}],"usage":"#)
        usage.write(&json)
        json.raw("}")
        return (json.bytes, usage)
    }
}
