import SwitchyardJSON

/// Anthropic Messages request (and count_tokens request) → canonical chat completions body.
/// Top-level fields here; conversation turns in MessagesConversation, tools in MessagesTools.
enum MessagesRequestTranslation {
    static let messagesKeys: Set<String> = [
        "model", "messages", "system", "max_tokens", "metadata", "stop_sequences", "stream", "temperature",
        "top_k", "top_p", "tools", "tool_choice", "thinking", "service_tier", "container", "mcp_servers",
        "context_management",
    ]
    static let countTokensKeys: Set<String> = [
        "model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers", "context_management",
    ]

    /// - Parameter countingTokens: the body is a `/v1/messages/count_tokens` request: no
    ///   `max_tokens` required, and nothing about sampling or streaming is carried.
    static func chatBody(_ body: JSONValue, countingTokens: Bool) throws(TranslationError) -> JSONValue {
        let request = try FieldReader(body, path: "")
        try request.onlyKnownKeys(countingTokens ? countTokensKeys : messagesKeys)
        try request.reject("container", "container (code execution containers)")
        try request.reject("mcp_servers", "mcp_servers (the MCP connector)")
        try request.reject("context_management", "context_management")
        // service_tier only picks Anthropic's capacity pool: nothing to carry elsewhere, ignored.

        var chat = JSONObject()
        chat["model"] = .string(try request.requiredString("model"))
        var messages: [JSONValue] = []
        if let system = request.value("system") { messages.append(try systemMessage(system, path: "system")) }
        messages += try MessagesConversation.messages(request.requiredArray("messages"), path: "messages")
        chat["messages"] = .array(messages)

        if !countingTokens {
            guard let maxTokens = try request.int("max_tokens") else { throw .field("max_tokens", "field required") }
            chat["max_tokens"] = .number(maxTokens)
            if let stops = try request.array("stop_sequences") {
                for (index, stop) in stops.enumerated() where stop.stringValue == nil {
                    throw .field(elementPath("stop_sequences", index), "expected a string")
                }
                chat["stop"] = .array(stops)
            }
            chat["temperature"] = try request.number("temperature")
            chat["top_p"] = try request.number("top_p")
            chat["top_k"] = try request.int("top_k").map(JSONValue.number)
        }

        if let tools = try request.array("tools") { chat["tools"] = .array(try MessagesTools.tools(tools, path: "tools")) }
        if let choice = try request.object("tool_choice") {
            let translated = try MessagesTools.toolChoice(choice)
            chat["tool_choice"] = translated.choice
            if translated.parallelToolCalls == false { chat["parallel_tool_calls"] = false }
        }
        if let thinking = try request.object("thinking") {
            chat["reasoning_effort"] = try ThinkingBudget.reasoningEffort(thinking).map(JSONValue.string)
        }

        if !countingTokens {
            if let metadata = try request.object("metadata") {
                try metadata.onlyKnownKeys(["user_id"])
                chat["user"] = try metadata.string("user_id").map(JSONValue.string)
            }
            if try request.bool("stream") == true {
                chat["stream"] = true
                chat["stream_options"] = includeUsageOption
            }
        }
        return .object(chat)
    }

    /// `system` as a string or text blocks → one system message (one block: a string; several:
    /// text parts, so block boundaries survive).
    static func systemMessage(_ system: JSONValue, path: String) throws(TranslationError) -> JSONValue {
        if let text = system.stringValue { return ["role": "system", "content": .string(text)] }
        guard let blocks = system.arrayValue else { throw .field(path, "expected a string or an array of text blocks") }
        var texts: [String] = []
        for (index, block) in blocks.enumerated() {
            let reader = try FieldReader(block, path: elementPath(path, index))
            let type = try reader.requiredString("type")
            guard type == "text" else { throw .field(reader.path("type"), "system blocks must be text blocks (got \"\(type)\")") }
            texts.append(try MessagesConversation.text(reader))
        }
        return ["role": "system", "content": MessagesConversation.textContent(texts) ?? ""]
    }
}
