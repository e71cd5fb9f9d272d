import SwitchyardPluginSDK

/// Canonical `messages` → Gemini `contents` plus `systemInstruction`.
///
/// - system / developer messages, wherever they stand, join `systemInstruction` in order
///   (Gemini has one system slot; a mid-conversation system message moves to the front);
/// - user → role "user", assistant → role "model";
/// - assistant `tool_calls` → `functionCall` parts; `tool` messages → `functionResponse` parts in
///   one "user" turn per run of consecutive tool results, named after the call they answer;
/// - assistant `reasoning_signature` → `thoughtSignature` on the turn's first functionCall part
///   (else its last part), where Gemini expects it back; `reasoning_content` is not sent (Gemini
///   takes no thought text as input: the signature carries its reasoning state).
struct Conversation {
    private(set) var contents: [JSONValue] = []
    private(set) var systemParts: [JSONValue] = []
    /// Tool call id → function name, from assistant turns seen so far (a later turn that reuses
    /// an id wins, so a result is named after the nearest call before it).
    private var functionNames: [String: String] = [:]
    private var pendingResults: [JSONValue] = []

    init(_ messages: JSONValue?) throws(PluginError) {
        guard let messages = messages?.arrayValue, !messages.isEmpty else {
            throw Rejection.invalid("messages", "must be a non-empty array")
        }
        for (index, message) in messages.enumerated() {
            try add(message, field: "messages[\(index)]")
        }
        flushResults()
    }

    var systemInstruction: JSONValue? { systemParts.isEmpty ? nil : ["parts": .array(systemParts)] }

    private mutating func add(_ message: JSONValue, field: String) throws(PluginError) {
        switch message["role"]?.stringValue {
        case "system", "developer":
            systemParts.append(["text": .string(try ContentParts.text(message["content"], field: field + ".content"))])
        case "user":
            flushResults()
            let parts = try ContentParts.parts(message["content"], field: field + ".content")
            guard !parts.isEmpty else { throw Rejection.invalid(field + ".content", "a user message needs content") }
            contents.append(["role": "user", "parts": .array(parts)])
        case "assistant":
            flushResults()
            try addAssistant(message, field: field)
        case "tool":
            try addToolResult(message, field: field)
        case "function":
            throw Rejection.unsupported(field + ".role", "legacy \"function\" messages; use tool_calls and \"tool\" messages")
        case let other:
            throw Rejection.invalid(field + ".role", "unknown role \"\(other ?? "(missing)")\"")
        }
    }

    private mutating func addAssistant(_ message: JSONValue, field: String) throws(PluginError) {
        var parts = try ContentParts.parts(message["content"], field: field + ".content")
        parts.removeAll { $0["text"]?.stringValue == "" }
        var firstCall: Int?
        for (index, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            let callField = "\(field).tool_calls[\(index)]"
            guard call["type"]?.stringValue ?? "function" == "function" else {
                throw Rejection.unsupported(callField + ".type", "only function tool calls")
            }
            guard let id = call["id"]?.stringValue, let name = call["function"]?["name"]?.stringValue else {
                throw Rejection.invalid(callField, "a tool call needs id and function.name")
            }
            functionNames[id] = name
            if firstCall == nil { firstCall = parts.count }
            parts.append(["functionCall": ["name": .string(name), "args": try Self.arguments(call["function"]?["arguments"], field: callField)]])
        }
        guard !parts.isEmpty else { return }  // an empty assistant turn says nothing Gemini could use
        if let signature = message["reasoning_signature"]?.stringValue, !signature.isEmpty {
            let target = firstCall ?? parts.count - 1
            if case .object(var part) = parts[target] {
                part["thoughtSignature"] = .string(signature)
                parts[target] = .object(part)
            }
        }
        contents.append(["role": "model", "parts": .array(parts)])
    }

    /// OpenAI sends arguments as a JSON string; Gemini wants the object itself.
    private static func arguments(_ value: JSONValue?, field: String) throws(PluginError) -> JSONValue {
        guard let value, !value.isNull else { return [:] }
        if value.objectValue != nil { return value }
        guard let text = value.stringValue else { throw Rejection.invalid(field + ".function.arguments", "must be a JSON string") }
        if text.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" }) { return [:] }
        guard let parsed = try? JSONValue.parse(text), parsed.objectValue != nil else {
            throw Rejection.invalid(field + ".function.arguments", "must be a JSON object (Gemini takes arguments as an object)")
        }
        return parsed
    }

    private mutating func addToolResult(_ message: JSONValue, field: String) throws(PluginError) {
        guard let id = message["tool_call_id"]?.stringValue else { throw Rejection.invalid(field + ".tool_call_id", "is required") }
        guard let name = functionNames[id] else {
            throw Rejection.invalid(field + ".tool_call_id", "\"\(id)\" matches no tool call of an earlier assistant message (Gemini needs the function name)")
        }
        let output = try ContentParts.text(message["content"], field: field + ".content")
        let response: JSONValue
        if let parsed = try? JSONValue.parse(output), parsed.objectValue != nil {
            response = parsed
        } else {
            response = ["result": .string(output)]
        }
        pendingResults.append(["functionResponse": ["name": .string(name), "response": response]])
    }

    private mutating func flushResults() {
        guard !pendingResults.isEmpty else { return }
        contents.append(["role": "user", "parts": .array(pendingResults)])
        pendingResults.removeAll()
    }
}
