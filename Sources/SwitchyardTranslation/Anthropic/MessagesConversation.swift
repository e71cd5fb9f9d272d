import SwitchyardJSON

/// Anthropic conversation turns → canonical messages. A user turn may become several messages
/// (its `tool_result` blocks are `tool` messages, which must directly follow the assistant's
/// tool calls, so they come first, then the rest of the turn as one user message); an assistant
/// turn becomes one message with `content`, `reasoning_content` and `tool_calls`.
enum MessagesConversation {
    static func messages(_ items: [JSONValue], path: String) throws(TranslationError) -> [JSONValue] {
        var messages: [JSONValue] = []
        for (index, item) in items.enumerated() {
            let message = try FieldReader(item, path: elementPath(path, index))
            try message.onlyKnownKeys(["role", "content"])
            let role = try message.requiredString("role")
            guard let content = message.value("content") else { throw .field(message.path("content"), "field required") }
            switch role {
            case "user": messages += try userMessages(content, path: message.path("content"))
            case "assistant": messages.append(try assistantMessage(content, path: message.path("content")))
            default: throw .field(message.path("role"), "expected \"user\" or \"assistant\" (got \"\(role)\")")
            }
        }
        return messages
    }

    static func userMessages(_ content: JSONValue, path: String) throws(TranslationError) -> [JSONValue] {
        if let text = content.stringValue { return [["role": "user", "content": .string(text)]] }
        var toolMessages: [JSONValue] = []
        var parts: [JSONValue] = []
        for (index, item) in try blocks(content, path: path).enumerated() {
            let block = try FieldReader(item, path: elementPath(path, index))
            let type = try block.requiredString("type")
            switch type {
            case "text": parts.append(["type": "text", "text": .string(try text(block))])
            case "image": parts.append(try MessagesImages.imagePart(block))
            case "tool_result": toolMessages.append(try toolMessage(block))
            default: try rejectBlock(type, block, turn: "user")
            }
        }
        guard !parts.isEmpty else { return toolMessages }
        // One text part reads as a plain string, which every OpenAI-compatible upstream takes.
        var content = JSONValue.array(parts)
        if parts.count == 1, parts[0]["type"] == "text", let text = parts[0]["text"] { content = text }
        return toolMessages + [["role": "user", "content": content]]
    }

    static func assistantMessage(_ content: JSONValue, path: String) throws(TranslationError) -> JSONValue {
        if let text = content.stringValue { return ["role": "assistant", "content": .string(text)] }
        var texts: [String] = []
        var thinking: [String] = []
        var signature: String?
        var toolCalls: [JSONValue] = []
        for (index, item) in try blocks(content, path: path).enumerated() {
            let block = try FieldReader(item, path: elementPath(path, index))
            let type = try block.requiredString("type")
            switch type {
            case "text":
                texts.append(try text(block))
            case "thinking":
                try block.onlyKnownKeys(["type", "thinking", "signature"])
                thinking.append(try block.requiredString("thinking"))
                signature = try block.string("signature") ?? signature
            case "redacted_thinking":
                // Encrypted reasoning only Claude can read: a canonical provider could do nothing
                // with it, so it is dropped (documented in docs/translation/ingress-anthropic.md).
                try block.onlyKnownKeys(["type", "data"])
            case "tool_use":
                toolCalls.append(try toolCall(block))
            default:
                try rejectBlock(type, block, turn: "assistant")
            }
        }
        var message = JSONObject()
        message["role"] = "assistant"
        message["content"] = textContent(texts) ?? .null
        if !thinking.isEmpty {
            // One thinking block per turn round-trips exactly; several (interleaved thinking)
            // are joined and keep the last signature, the only one the canonical form can hold.
            message["reasoning_content"] = .string(thinking.joined(separator: "\n\n"))
            message["reasoning_signature"] = signature.map(JSONValue.string)
        }
        if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
        return .object(message)
    }

    /// A text block's text. `cache_control` is accepted and ignored: it is a caching hint with
    /// no effect on the output, and only a native Anthropic route could honour it. Citations
    /// only come from documents and search results, which a translated route rejects.
    static func text(_ block: FieldReader) throws(TranslationError) -> String {
        try block.onlyKnownKeys(["type", "text", "cache_control", "citations"])
        if let citations = try block.array("citations"), !citations.isEmpty {
            throw .unsupported(block.path("citations"), "citations")
        }
        return try block.requiredString("text")
    }

    /// Several texts → text parts (block boundaries survive); one → a string; none → nil.
    static func textContent(_ texts: [String]) -> JSONValue? {
        switch texts.count {
        case 0: nil
        case 1: .string(texts[0])
        default: .array(texts.map { ["type": "text", "text": .string($0)] })
        }
    }

    static func blocks(_ content: JSONValue, path: String) throws(TranslationError) -> [JSONValue] {
        guard let blocks = content.arrayValue else { throw .field(path, "expected a string or an array of content blocks") }
        return blocks
    }

    /// `tool_use` → a canonical tool call; `input` travels as compact JSON text.
    static func toolCall(_ block: FieldReader) throws(TranslationError) -> JSONValue {
        try block.onlyKnownKeys(["type", "id", "name", "input", "cache_control"])
        let input = block.value("input") ?? .object(JSONObject())
        return [
            "id": .string(try block.requiredString("id")), "type": "function",
            "function": ["name": .string(try block.requiredString("name")), "arguments": .string(input.jsonText)],
        ]
    }

    /// `tool_result` → a `tool` message. Content is text only (canonical tool messages carry
    /// no images). `is_error: true` has no canonical field, so it is carried in the text: the
    /// content is prefixed with "Error: " (or is "Error" when empty), which models read as the
    /// failure Anthropic's flag announces.
    static func toolMessage(_ block: FieldReader) throws(TranslationError) -> JSONValue {
        try block.onlyKnownKeys(["type", "tool_use_id", "content", "is_error", "cache_control"])
        let id = try block.requiredString("tool_use_id")
        var texts: [String] = []
        if let content = block.value("content") {
            if let text = content.stringValue {
                texts = [text]
            } else {
                let path = block.path("content")
                for (index, item) in try blocks(content, path: path).enumerated() {
                    let inner = try FieldReader(item, path: elementPath(path, index))
                    let type = try inner.requiredString("type")
                    guard type == "text" else {
                        if type == "image" { throw .unsupported(inner.path("type"), "an image inside a tool_result") }
                        try rejectBlock(type, inner, turn: "tool_result")
                        continue
                    }
                    texts.append(try text(inner))
                }
            }
        }
        if try block.bool("is_error") == true {
            if texts.isEmpty || texts == [""] { texts = ["Error"] } else { texts[0] = "Error: " + texts[0] }
        }
        return ["role": "tool", "tool_call_id": .string(id), "content": textContent(texts) ?? ""]
    }

    /// Every block type a translated route cannot carry, each with a message naming it.
    static func rejectBlock(_ type: String, _ block: FieldReader, turn: String) throws(TranslationError) {
        let path = block.path("type")
        switch type {
        case "document": throw .unsupported(path, "a document block (PDF, text or content documents)")
        case "search_result": throw .unsupported(path, "a search_result block")
        case "container_upload": throw .unsupported(path, "a container_upload block")
        case "server_tool_use", "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
            "bash_code_execution_tool_result", "text_editor_code_execution_tool_result", "mcp_tool_use", "mcp_tool_result":
            throw .unsupported(path, "the server tool block \"\(type)\"")
        case "text", "image", "tool_result", "thinking", "redacted_thinking", "tool_use":
            throw .field(path, "a \(type) block is not allowed in a \(turn) turn")
        default:
            throw .field(path, "unknown content block type \"\(type)\"")
        }
    }
}
