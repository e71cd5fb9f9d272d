import SwitchyardJSON

/// A deterministic OpenAI chat completion for a request: "mock: " + the last user message, or a
/// call of the first offered tool when the user asks about the weather (or `forceToolCall`).
/// Token counts are word counts: stable, cheap, and good enough for usage accounting tests.
/// The rules are `MockAnswer`'s; this type keeps its own lean path because it is the benchmark's
/// upstream (no stop sequences, limits or cache knobs to look at).
struct MockCompletion {
    let id: String
    let model: String
    let choices: Int
    let content: String
    let toolName: String?
    let promptTokens: Int
    let completionTokens: Int
    let includeUsage: Bool
    static let toolArguments = MockAnswer.toolArguments

    init(request: JSONValue, id: String, forceToolCall: Bool = false) {
        self.id = id
        model = request["model"]?.stringValue ?? "mock-model"
        choices = max(1, min(request["n"]?.intValue ?? 1, 16))
        let messages = request["messages"]?.arrayValue ?? []
        var last = ""
        var words = 0
        for message in messages {
            let text = Self.text(message["content"])
            words += MockAnswer.words(text)
            if message["role"]?.stringValue == "user" { last = text }
        }
        content = "mock: " + last
        promptTokens = max(1, words)
        let tools = request["tools"]?.arrayValue ?? []
        if MockAnswer.callsTool(lastUserText: last, toolsOffered: !tools.isEmpty, force: forceToolCall) {
            toolName = tools.first?["function"]?["name"]?.stringValue ?? "get_weather"
        } else {
            toolName = nil
        }
        completionTokens = toolName == nil ? MockAnswer.words(content) : MockAnswer.toolCallTokens
        includeUsage = request["stream_options"]?["include_usage"]?.boolValue ?? false
    }

    static func text(_ content: JSONValue?) -> String {
        if let text = content?.stringValue { return text }
        return (content?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: " ")
    }

    var usage: JSONValue {
        ["prompt_tokens": .number(promptTokens), "completion_tokens": .number(completionTokens), "total_tokens": .number(promptTokens + completionTokens)]
    }

    private func toolCall(arguments: String, header: Bool) -> JSONValue {
        var call: JSONObject = JSONObject([("index", 0)])
        if header {
            call["id"] = .string("call_" + id.suffix(8))
            call["type"] = "function"
            call["function"] = ["name": .string(toolName ?? ""), "arguments": .string(arguments)]
        } else {
            call["function"] = ["arguments": .string(arguments)]
        }
        return .object(call)
    }

    func whole() -> [UInt8] {
        var message: JSONObject = JSONObject([("role", "assistant")])
        if toolName != nil {
            message["content"] = .null
            message["tool_calls"] = [toolCall(arguments: Self.toolArguments, header: true)]
        } else {
            message["content"] = .string(content)
        }
        let choiceList = (0..<choices).map { index -> JSONValue in
            ["index": .number(index), "message": .object(message), "logprobs": nil, "finish_reason": toolName == nil ? "stop" : "tool_calls"]
        }
        return object("chat.completion", choices: choiceList, usage: usage).serialized()
    }

    /// The stream's events (JSON payloads, without SSE framing), in order. `chunks` replaces the
    /// content with that many fixed words (benchmarks).
    func events(chunks: Int?) -> [[UInt8]] {
        var events: [JSONValue] = [chunk(delta: ["role": "assistant", "content": ""])]
        if toolName != nil {
            let half = Self.toolArguments.index(Self.toolArguments.startIndex, offsetBy: 8)
            events.append(chunk(delta: ["tool_calls": [toolCall(arguments: "", header: true)]]))
            events.append(chunk(delta: ["tool_calls": [toolCall(arguments: String(Self.toolArguments[..<half]), header: false)]]))
            events.append(chunk(delta: ["tool_calls": [toolCall(arguments: String(Self.toolArguments[half...]), header: false)]]))
        } else if let chunks {
            for _ in 0..<chunks { events.append(chunk(delta: ["content": "lorem "])) }
        } else {
            for (index, word) in content.split(separator: " ").enumerated() {
                events.append(chunk(delta: ["content": .string(index == 0 ? String(word) : " " + word)]))
            }
        }
        events.append(chunk(delta: [:], finish: toolName == nil ? "stop" : "tool_calls"))
        if includeUsage { events.append(object("chat.completion.chunk", choices: [], usage: usage)) }
        return events.map { $0.serialized() }
    }

    private func chunk(delta: JSONValue, finish: String? = nil) -> JSONValue {
        let choiceList = (0..<choices).map { index -> JSONValue in
            ["index": .number(index), "delta": delta, "logprobs": nil, "finish_reason": finish.map { .string($0) } ?? nil]
        }
        return object("chat.completion.chunk", choices: choiceList, usage: nil)
    }

    private func object(_ kind: String, choices: [JSONValue], usage: JSONValue?) -> JSONValue {
        var object = JSONObject([
            ("id", .string(id)), ("object", .string(kind)), ("created", 1_700_000_000), ("model", .string(model)),
            ("system_fingerprint", "fp_mock"), ("choices", .array(choices)),
        ])
        if let usage { object["usage"] = usage }
        return .object(object)
    }
}
