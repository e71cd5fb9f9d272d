import SwitchyardPluginSDK

/// Canonical `messages` → Anthropic top-level `system` plus alternating `messages`.
///
/// - system and developer turns, wherever they stand, become `system` text blocks in order
///   (Anthropic has one system prompt, ahead of the conversation);
/// - tool turns become `tool_result` blocks of one user turn: consecutive results share it, and
///   a user turn right after them joins it, because Anthropic wants every result of an assistant
///   turn's tool calls in the single user turn that follows;
/// - an assistant turn is [thinking] + text + tool_use blocks, in that order.
struct MessageTranslation {
    private(set) var system: [JSONValue] = []
    private(set) var turns: [JSONValue] = []
    /// The last turn is a user turn that opened with tool results and may take more blocks.
    private var openToolResultTurn: [JSONValue]?

    init(_ messages: JSONValue?) throws(PluginError) {
        guard let messages = messages?.arrayValue, !messages.isEmpty else { throw .invalid("messages must be a non-empty array") }
        for (index, message) in messages.enumerated() {
            try add(message, path: "messages[\(index)]")
        }
        closeToolResultTurn()
    }

    private mutating func add(_ message: JSONValue, path: String) throws(PluginError) {
        switch message["role"]?.stringValue {
        case "system", "developer":
            system += try ContentParts.textBlocks(message["content"], path: path + ".content")
        case "user":
            let blocks = try ContentParts.userBlocks(message["content"], path: path + ".content")
            if openToolResultTurn != nil {
                openToolResultTurn! += blocks
            } else {
                turns.append(["role": "user", "content": .array(blocks)])
            }
        case "tool":
            let result = try toolResult(message, path: path)
            if openToolResultTurn != nil { openToolResultTurn!.append(result) } else { openToolResultTurn = [result] }
        case "assistant":
            closeToolResultTurn()
            turns.append(["role": "assistant", "content": .array(try assistantBlocks(message, path: path))])
        case "function":
            throw unsupported("\(path) role function", "the legacy function role is not translated; use tool messages")
        case let role:
            throw .invalid("\(path).role \(role.map { "\"\($0)\"" } ?? "null") is not a chat role")
        }
    }

    private mutating func closeToolResultTurn() {
        guard let blocks = openToolResultTurn else { return }
        turns.append(["role": "user", "content": .array(blocks)])
        openToolResultTurn = nil
    }

    private func toolResult(_ message: JSONValue, path: String) throws(PluginError) -> JSONValue {
        guard let id = message["tool_call_id"]?.stringValue else { throw .invalid("\(path).tool_call_id must be a string") }
        var block = JSONObject(["type": "tool_result", "tool_use_id": .string(id)])
        switch message["content"] {
        case .string(let text)?: block["content"] = .string(text)
        default: block["content"] = .array(try ContentParts.textBlocks(message["content"], path: path + ".content"))
        }
        return .object(block)
    }

    /// Reasoning without a signature is left out: Anthropic verifies thinking blocks by their
    /// signature and rejects unsigned ones (text from another provider's reasoning lands here).
    private func assistantBlocks(_ message: JSONValue, path: String) throws(PluginError) -> [JSONValue] {
        var blocks: [JSONValue] = []
        if let thinking = message["reasoning_content"]?.stringValue, let signature = message["reasoning_signature"]?.stringValue,
           !signature.isEmpty
        {
            blocks.append(["type": "thinking", "thinking": .string(thinking), "signature": .string(signature)])
        }
        blocks += try ContentParts.textBlocks(message["content"], path: path + ".content")
        if let calls = message["tool_calls"], !calls.isNull {
            guard let calls = calls.arrayValue else { throw .invalid("\(path).tool_calls must be an array") }
            for (index, call) in calls.enumerated() {
                blocks.append(try toolUse(call, path: "\(path).tool_calls[\(index)]"))
            }
        }
        return blocks
    }

    private func toolUse(_ call: JSONValue, path: String) throws(PluginError) -> JSONValue {
        guard call["type"]?.stringValue ?? "function" == "function" else {
            throw unsupported("\(path).type \(call["type"]?.stringValue ?? "?")", "only function tool calls translate")
        }
        guard let id = call["id"]?.stringValue, let name = call["function"]?["name"]?.stringValue else {
            throw .invalid("\(path) needs an id and function.name")
        }
        let arguments = call["function"]?["arguments"]?.stringValue ?? ""
        let input: JSONValue
        if arguments.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) {
            input = .object(JSONObject())  // OpenAI clients send "" for a call without arguments
        } else {
            guard let parsed = try? JSONValue.parse(arguments), parsed.objectValue != nil else {
                throw .invalid("\(path).function.arguments is not a JSON object; Anthropic tool_use input must be one")
            }
            input = parsed
        }
        return ["type": "tool_use", "id": .string(id), "name": .string(name), "input": input]
    }
}
