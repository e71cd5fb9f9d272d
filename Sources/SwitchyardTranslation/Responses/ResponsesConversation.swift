import SwitchyardJSON

/// Responses input items (and a previous response's output items, which are valid input
/// items) → canonical messages.
///
/// - message items: role user → user, system and developer → system (the role every canonical
///   provider knows), assistant → assistant;
/// - function_call items join the assistant message before them as `tool_calls` (a new
///   assistant message when there is none);
/// - function_call_output items → `tool` messages;
/// - reasoning items → `reasoning_content` (their `content` text, else their summaries) and
///   `reasoning_signature` (`encrypted_content`) of the next assistant message; a reasoning
///   item with no assistant turn after it has nothing to attach to and is dropped.
struct ResponsesConversation {
    private var messages: [JSONValue] = []
    private var pendingReasoning: (text: String, signature: String?)?

    static func messages(_ items: [JSONValue], path: String) throws(TranslationError) -> [JSONValue] {
        var conversation = ResponsesConversation()
        for (index, item) in items.enumerated() {
            try conversation.append(FieldReader(item, path: elementPath(path, index)))
        }
        return conversation.messages
    }

    private mutating func append(_ item: FieldReader) throws(TranslationError) {
        let type = try item.string("type") ?? "message"
        switch type {
        case "message": try message(item)
        case "function_call": try functionCall(item)
        case "function_call_output": try functionCallOutput(item)
        case "reasoning": try reasoning(item)
        case "item_reference": throw .unsupported(item.path("type"), "an item_reference input item")
        default: throw .unsupported(item.path("type"), "the input item type \"\(type)\"")
        }
    }

    private mutating func message(_ item: FieldReader) throws(TranslationError) {
        try item.onlyKnownKeys(["type", "role", "content", "id", "status"])
        let role = try item.requiredString("role")
        guard let content = item.value("content") else { throw .field(item.path("content"), "field required") }
        switch role {
        case "user":
            messages.append(["role": "user", "content": try ResponsesContent.userContent(content, path: item.path("content"))])
        case "system", "developer":
            let texts = try ResponsesContent.texts(content, path: item.path("content"), allowed: ["input_text"])
            messages.append(["role": "system", "content": MessagesConversation.textContent(texts) ?? ""])
        case "assistant":
            let texts = try ResponsesContent.texts(content, path: item.path("content"), allowed: ["output_text", "input_text", "refusal"])
            var message = JSONObject([("role", "assistant"), ("content", MessagesConversation.textContent(texts) ?? .null)])
            attachPendingReasoning(to: &message)
            messages.append(.object(message))
        default:
            throw .field(item.path("role"), "expected \"user\", \"assistant\", \"system\" or \"developer\" (got \"\(role)\")")
        }
    }

    private mutating func functionCall(_ item: FieldReader) throws(TranslationError) {
        try item.onlyKnownKeys(["type", "id", "call_id", "name", "arguments", "status"])
        let call: JSONValue = [
            "id": .string(try item.requiredString("call_id")), "type": "function",
            "function": ["name": .string(try item.requiredString("name")), "arguments": .string(try item.string("arguments") ?? "")],
        ]
        if case .object(var last)? = messages.last, last["role"] == "assistant" {
            messages.removeLast()
            attachPendingReasoning(to: &last)
            last["tool_calls"] = .array((last["tool_calls"]?.arrayValue ?? []) + [call])
            messages.append(.object(last))
        } else {
            var message = JSONObject([("role", "assistant"), ("content", .null)])
            attachPendingReasoning(to: &message)
            message["tool_calls"] = [call]
            messages.append(.object(message))
        }
    }

    private mutating func functionCallOutput(_ item: FieldReader) throws(TranslationError) {
        try item.onlyKnownKeys(["type", "id", "call_id", "output", "status"])
        let id = try item.requiredString("call_id")
        guard let output = item.value("output") else { throw .field(item.path("output"), "field required") }
        let texts = try ResponsesContent.texts(output, path: item.path("output"), allowed: ["input_text"])
        messages.append(["role": "tool", "tool_call_id": .string(id), "content": MessagesConversation.textContent(texts) ?? ""])
    }

    private mutating func reasoning(_ item: FieldReader) throws(TranslationError) {
        try item.onlyKnownKeys(["type", "id", "summary", "content", "encrypted_content", "status"])
        var texts = try ResponsesContent.texts(item.value("content") ?? [], path: item.path("content"), allowed: ["reasoning_text"])
        if texts.isEmpty {
            texts = try ResponsesContent.texts(item.value("summary") ?? [], path: item.path("summary"), allowed: ["summary_text"])
        }
        let signature = try item.string("encrypted_content")
        let text = texts.joined(separator: "\n\n")
        if let pending = pendingReasoning {
            pendingReasoning = ([pending.text, text].filter { !$0.isEmpty }.joined(separator: "\n\n"), signature ?? pending.signature)
        } else {
            pendingReasoning = (text, signature)
        }
    }

    /// Gives `message` the reasoning items read since the last assistant turn; a message that
    /// already has reasoning (several reasoning items in one turn) gets them appended.
    private mutating func attachPendingReasoning(to message: inout JSONObject) {
        guard let pending = pendingReasoning else { return }
        pendingReasoning = nil
        let earlier = message["reasoning_content"]?.stringValue ?? ""
        message["reasoning_content"] = .string([earlier, pending.text].filter { !$0.isEmpty }.joined(separator: "\n\n"))
        if let signature = pending.signature { message["reasoning_signature"] = .string(signature) }
    }
}
