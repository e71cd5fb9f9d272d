import SwitchyardHTTP
import SwitchyardJSON

/// An Anthropic Messages request (`POST /v1/messages`, `/v1/messages/count_tokens`), read and
/// checked the way Anthropic checks it; validation failures carry Anthropic's messages.
struct MockAnthropicRequest {
    let model: String
    let stream: Bool
    let question: MockAnswer.Question

    /// `countTokens` requests need no `max_tokens`.
    init(_ body: JSONValue?, headers: HTTPHeaders, countTokens: Bool = false) throws(MockRejection) {
        guard headers["anthropic-version"] != nil else { throw MockRejection(message: "anthropic-version: header is required") }
        guard let body, body.objectValue != nil else { throw MockRejection(message: "The request body is not valid JSON.") }
        guard let model = body["model"]?.stringValue else { throw MockRejection(message: "model: Field required") }
        self.model = model
        stream = body["stream"]?.boolValue ?? false
        var question = MockAnswer.Question()
        if !countTokens {
            guard let maxTokens = body["max_tokens"] else { throw MockRejection(message: "max_tokens: Field required") }
            guard let limit = maxTokens.intValue, limit >= 1 else { throw MockRejection(message: "max_tokens: Input should be greater than or equal to 1") }
            question.maxTokens = limit
        }
        guard let messages = body["messages"]?.arrayValue else { throw MockRejection(message: "messages: Field required") }
        try Self.checkTurns(messages)
        question.promptWords = MockAnswer.words(Self.systemText(body["system"]))
        for message in messages {
            let content = message["content"]
            question.promptWords += Self.blocks(of: content).reduce(0) { $0 + MockAnswer.words(Self.promptText(of: $1)) }
            if message["role"]?.stringValue == "user", let text = Self.userText(content) { question.lastUserText = text }
        }
        let tools = body["tools"]?.arrayValue ?? []
        question.toolsOffered = !tools.isEmpty
        question.firstTool = tools.first?["name"]?.stringValue
        question.stopSequences = (body["stop_sequences"]?.arrayValue ?? []).compactMap(\.stringValue)
        self.question = question
    }

    /// Turns alternate user / assistant from a user turn; a `tool_result` answers a `tool_use`
    /// of the turn just before, and every `tool_use` followed by a turn is answered in it.
    private static func checkTurns(_ messages: [JSONValue]) throws(MockRejection) {
        guard !messages.isEmpty else { throw MockRejection(message: "messages: at least one message is required") }
        var previousRole: String?
        var pendingToolUses: [String] = []
        for (index, message) in messages.enumerated() {
            guard let role = message["role"]?.stringValue, role == "user" || role == "assistant" else {
                throw MockRejection(message: "messages.\(index).role: Input should be 'user' or 'assistant'")
            }
            guard let content = message["content"], content.stringValue != nil || content.arrayValue != nil else {
                throw MockRejection(message: "messages.\(index).content: Field required")
            }
            if previousRole == nil && role != "user" { throw MockRejection(message: #"messages: first message must use the "user" role"#) }
            if previousRole == role {
                throw MockRejection(message: #"messages: roles must alternate between "user" and "assistant", but found multiple "\#(role)" roles in a row"#)
            }
            let blocks = content.arrayValue ?? []
            let results = blocks.compactMap { $0["type"]?.stringValue == "tool_result" ? $0["tool_use_id"]?.stringValue ?? "" : nil }
            for (position, id) in results.enumerated() where !pendingToolUses.contains(id) {
                throw MockRejection(message: "messages.\(index).content.\(position): unexpected `tool_use_id` found in `tool_result` blocks: \(id). Each `tool_result` block must have a corresponding `tool_use` block in the previous message.")
            }
            if let missing = pendingToolUses.first(where: { !results.contains($0) }) {
                throw MockRejection(message: "messages.\(index - 1): `tool_use` ids were found without `tool_result` blocks immediately after: \(missing). Each `tool_use` block must have a corresponding `tool_result` block in the next message.")
            }
            pendingToolUses = blocks.compactMap { $0["type"]?.stringValue == "tool_use" ? $0["id"]?.stringValue : nil }
            previousRole = role
        }
    }

    /// A content value as blocks: a string is one text block.
    static func blocks(of content: JSONValue?) -> [JSONValue] {
        if let text = content?.stringValue { return [["type": "text", "text": .string(text)]] }
        return content?.arrayValue ?? []
    }

    /// The text a block puts in front of the model: text, or a tool result's text.
    private static func promptText(of block: JSONValue) -> String {
        switch block["type"]?.stringValue {
        case "text": return block["text"]?.stringValue ?? ""
        case "tool_result": return blocks(of: block["content"]).compactMap { $0["text"]?.stringValue }.joined(separator: " ")
        default: return ""
        }
    }

    /// A user turn's own text (its text blocks joined by a space), or nil when it only carries tool
    /// results: those become `tool` messages in chat, and the answer must not change with the format.
    private static func userText(_ content: JSONValue?) -> String? {
        if let text = content?.stringValue { return text }
        let texts = (content?.arrayValue ?? []).filter { $0["type"]?.stringValue == "text" }.compactMap { $0["text"]?.stringValue }
        return texts.isEmpty ? nil : texts.joined(separator: " ")
    }

    private static func systemText(_ system: JSONValue?) -> String {
        blocks(of: system).compactMap { $0["text"]?.stringValue }.joined(separator: " ")
    }
}

/// The Anthropic `message` object for an answer, and the parts the stream reuses.
struct MockAnthropicMessage {
    let id: String
    let model: String
    let answer: MockAnswer

    var stopReason: String {
        switch answer.stop {
        case .endTurn: "end_turn"
        case .toolUse: "tool_use"
        case .maxTokens: "max_tokens"
        case .stopSequence: "stop_sequence"
        }
    }

    var stopSequence: JSONValue {
        if case .stopSequence(let sequence) = answer.stop { return .string(sequence) }
        return nil
    }

    /// `toolu_` + the message's number, so a conversation's ids stay distinct.
    var toolUseID: String { "toolu_" + id.dropFirst("msg_".count) }

    /// Input tokens without the cached ones: Anthropic counts cache reads and writes apart.
    func usage(outputTokens: Int) -> JSONValue {
        [
            "input_tokens": .number(answer.promptTokens - answer.cacheReadTokens - answer.cacheWriteTokens),
            "cache_creation_input_tokens": .number(answer.cacheWriteTokens),
            "cache_read_input_tokens": .number(answer.cacheReadTokens),
            "output_tokens": .number(outputTokens),
        ]
    }

    func whole() -> [UInt8] {
        var content: [JSONValue] = []
        if let thinking = answer.thinking {
            content.append(["type": "thinking", "thinking": .string(thinking), "signature": .string(answer.thinkingSignature)])
        }
        if let name = answer.toolName {
            let input = (try? JSONValue.parse(MockAnswer.toolArguments)) ?? [:]
            content.append(["type": "tool_use", "id": .string(toolUseID), "name": .string(name), "input": input])
        } else {
            content.append(["type": "text", "text": .string(answer.text)])
        }
        return message(content: content, stopReason: .string(stopReason), stopSequence: stopSequence, outputTokens: answer.outputTokens).serialized()
    }

    func message(content: [JSONValue], stopReason: JSONValue, stopSequence: JSONValue, outputTokens: Int) -> JSONValue {
        [
            "id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": .array(content),
            "stop_reason": stopReason, "stop_sequence": stopSequence, "usage": usage(outputTokens: outputTokens),
        ]
    }
}
