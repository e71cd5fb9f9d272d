import SwitchyardJSON

/// Responses request → canonical chat completions body. Top-level fields here; input items in
/// ResponsesConversation, tools in ResponsesTools.
enum ResponsesRequestTranslation {
    static let knownKeys: Set<String> = [
        "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens", "temperature",
        "top_p", "text", "reasoning", "metadata", "previous_response_id", "store", "stream", "stream_options", "user",
        "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "service_tier", "truncation", "include",
        "background", "max_tool_calls", "top_logprobs", "conversation", "prompt",
    ]

    static func translate(_ body: JSONValue, prior: ResponsesPriorTurn?) throws(TranslationError) -> ResponsesTranslation {
        let request = try FieldReader(body, path: "")
        try request.onlyKnownKeys(knownKeys)
        if try request.bool("background") == true { throw .unsupported("background", "background mode") }
        try request.reject("conversation", "conversation (the Conversations API)")
        try request.reject("prompt", "prompt (stored prompt templates)")
        if let logprobs = try request.int("top_logprobs"), logprobs > 0 { throw .unsupported("top_logprobs", "top_logprobs") }
        if let truncation = try request.string("truncation"), truncation != "disabled" {
            throw .unsupported("truncation", "truncation \"\(truncation)\"")
        }
        // Carry no meaning for a canonical provider and change nothing in the output: include
        // (encrypted reasoning is always returned when there is any), stream_options,
        // safety_identifier, prompt_cache_key/_retention, service_tier, max_tool_calls (built-in
        // tools only, which are rejected).
        var echo = ResponsesEcho()
        var chat = JSONObject()
        chat["model"] = .string(try request.requiredString("model"))

        var conversation = prior?.messages ?? []
        if let previous = try request.string("previous_response_id") {
            guard let prior else {
                throw .field("previous_response_id", "previous response with id \"\(previous)\" not found")
            }
            conversation += try ResponsesConversation.messages(prior.output, path: "previous_response_id")
            echo.previousResponseID = .string(previous)
        }
        if let input = request.value("input") {
            if let text = input.stringValue {
                conversation.append(["role": "user", "content": .string(text)])
            } else {
                guard let items = input.arrayValue else { throw .field("input", "expected a string or an array of input items") }
                conversation += try ResponsesConversation.messages(items, path: "input")
            }
        }
        var messages: [JSONValue] = []
        if let instructions = try request.string("instructions") {
            messages.append(["role": "system", "content": .string(instructions)])
            echo.instructions = .string(instructions)
        }
        chat["messages"] = .array(messages + conversation)

        if let maxTokens = try request.int("max_output_tokens") {
            chat["max_tokens"] = .number(maxTokens)
            echo.maxOutputTokens = .number(maxTokens)
        }
        if let temperature = try request.number("temperature") { chat["temperature"] = temperature; echo.temperature = temperature }
        if let topP = try request.number("top_p") { chat["top_p"] = topP; echo.topP = topP }
        if let tools = try request.array("tools") {
            chat["tools"] = .array(try ResponsesTools.tools(tools, path: "tools"))
            echo.tools = .array(tools)
        }
        if let choice = request.value("tool_choice") {
            chat["tool_choice"] = try ResponsesTools.toolChoice(choice, path: "tool_choice")
            echo.toolChoice = choice
        }
        if let parallel = try request.bool("parallel_tool_calls") {
            chat["parallel_tool_calls"] = .bool(parallel)
            echo.parallelToolCalls = .bool(parallel)
        }
        if let text = try request.object("text") {
            try text.onlyKnownKeys(["format", "verbosity"])
            try text.reject("verbosity", "text.verbosity")
            if let format = try text.object("format") {
                chat["response_format"] = try ResponsesTools.responseFormat(format)
                echo.text = ["format": .object(format.object)]
            }
        }
        if let reasoning = try request.object("reasoning") {
            try reasoning.onlyKnownKeys(["effort", "summary", "generate_summary"])
            let effort = try reasoning.string("effort")
            // "none" asks for no reasoning, which is what sending no effort gets from a provider.
            if let effort, effort != "none" { chat["reasoning_effort"] = .string(effort) }
            var summary = try reasoning.string("summary")
            if summary == nil { summary = try reasoning.string("generate_summary") }
            echo.reasoning = ["effort": effort.map(JSONValue.string) ?? .null, "summary": summary.map(JSONValue.string) ?? .null]
        }
        if let user = try request.string("user") {
            chat["user"] = .string(user)
            echo.user = .string(user)
        }
        if let metadata = try request.object("metadata") { echo.metadata = .object(metadata.object) }
        let store = try request.bool("store") ?? true
        echo.store = .bool(store)
        if try request.bool("stream") == true {
            chat["stream"] = true
            chat["stream_options"] = includeUsageOption
        }
        return ResponsesTranslation(
            chatRequest: .object(chat), conversation: conversation, store: store,
            previousResponseID: try request.string("previous_response_id"), echo: echo)
    }
}
