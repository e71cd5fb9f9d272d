import SwitchyardJSON

/// An OpenAI Responses request (`POST /v1/responses`), checked as OpenAI checks it: `input` a
/// string or items (messages, `function_call`, `function_call_output`, …); a
/// `function_call_output` answers a `function_call` earlier in `input` unless the request
/// continues a stored response (`previous_response_id`).
struct MockResponsesRequest {
    let model: String
    let stream: Bool
    /// Echoed in the response object, as OpenAI does.
    let instructions: JSONValue
    let maxOutputTokens: JSONValue
    let tools: JSONValue
    let previousResponseID: JSONValue
    let question: MockAnswer.Question

    init(_ body: JSONValue?) throws(MockRejection) {
        guard let body, body.objectValue != nil else { throw MockRejection(message: "We could not parse the JSON body of your request.") }
        guard let model = body["model"]?.stringValue else { throw MockRejection(message: "Missing required parameter: 'model'.", param: "model") }
        guard let input = body["input"] else { throw MockRejection(message: "Missing required parameter: 'input'.", param: "input") }
        self.model = model
        stream = body["stream"]?.boolValue ?? false
        instructions = body["instructions"] ?? nil
        maxOutputTokens = body["max_output_tokens"] ?? nil
        tools = body["tools"] ?? []
        previousResponseID = body["previous_response_id"] ?? nil
        var question = MockAnswer.Question()
        question.promptWords = MockAnswer.words(instructions.stringValue ?? "")
        if let text = input.stringValue {
            question.lastUserText = text
            question.promptWords += MockAnswer.words(text)
        } else if let items = input.arrayValue {
            try Self.read(items, into: &question, continuing: !previousResponseID.isNull)
        } else {
            throw MockRejection(message: "Invalid type for 'input': expected a string or an array of input items.", param: "input")
        }
        let functions = (tools.arrayValue ?? []).filter { $0["type"]?.stringValue == "function" }
        question.toolsOffered = !functions.isEmpty
        question.firstTool = functions.first?["name"]?.stringValue
        question.maxTokens = maxOutputTokens.intValue
        self.question = question
    }

    private static func read(_ items: [JSONValue], into question: inout MockAnswer.Question, continuing: Bool) throws(MockRejection) {
        var callIDs: [String] = []
        for (index, item) in items.enumerated() {
            switch item["type"]?.stringValue ?? "message" {
            case "message":
                let text = Self.text(item["content"])
                question.promptWords += MockAnswer.words(text)
                if item["role"]?.stringValue == "user" { question.lastUserText = text }
            case "function_call":
                callIDs.append(item["call_id"]?.stringValue ?? "")
            case "function_call_output":
                let id = item["call_id"]?.stringValue ?? ""
                guard continuing || callIDs.contains(id) else {
                    throw MockRejection(message: "No tool call found for function call output with call_id \(id).", param: "input[\(index)]")
                }
                question.promptWords += MockAnswer.words(item["output"]?.stringValue ?? "")
            default:
                continue  // reasoning and other items carry nothing the mock reads
            }
        }
    }

    /// A message's content: a string, or its parts' text joined by a space.
    private static func text(_ content: JSONValue?) -> String {
        if let text = content?.stringValue { return text }
        return (content?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: " ")
    }
}

/// The `response` object for an answer, and the output items the stream reuses.
struct MockResponsesResponse {
    let number: Int
    let request: MockResponsesRequest
    let answer: MockAnswer

    var id: String { "resp_mock_\(number)" }
    var messageID: String { "msg_mock_\(number)" }
    var callItemID: String { "fc_mock_\(number)" }
    var callID: String { "call_mock_\(number)" }
    var reasoningID: String { "rs_mock_\(number)" }
    var truncated: Bool { answer.stop == .maxTokens }

    func whole() -> [UInt8] {
        object(status: truncated ? "incomplete" : "completed", output: outputItems, usage: true).serialized()
    }

    /// The finished output items: reasoning (`x-mock-thinking`), then the message or the call.
    var outputItems: [JSONValue] {
        var items: [JSONValue] = []
        if let thinking = answer.thinking { items.append(reasoningItem(summary: thinking)) }
        items.append(answer.toolName == nil ? messageItem(text: answer.text, status: truncated ? "incomplete" : "completed") : callItem(arguments: MockAnswer.toolArguments, status: "completed"))
        return items
    }

    func reasoningItem(summary: String?) -> JSONValue {
        let parts: [JSONValue] = summary.map { [["type": "summary_text", "text": .string($0)]] } ?? []
        return ["id": .string(reasoningID), "type": "reasoning", "summary": .array(parts)]
    }

    func messageItem(text: String?, status: String) -> JSONValue {
        let content: [JSONValue] = text.map { [outputText($0)] } ?? []
        return ["id": .string(messageID), "type": "message", "status": .string(status), "role": "assistant", "content": .array(content)]
    }

    func outputText(_ text: String) -> JSONValue { ["type": "output_text", "text": .string(text), "annotations": []] }

    func callItem(arguments: String, status: String) -> JSONValue {
        [
            "id": .string(callItemID), "type": "function_call", "status": .string(status), "arguments": .string(arguments),
            "call_id": .string(callID), "name": .string(answer.toolName ?? ""),
        ]
    }

    /// `input_tokens` includes the cached ones and `output_tokens` the reasoning ones, as OpenAI
    /// counts them.
    var usage: JSONValue {
        [
            "input_tokens": .number(answer.promptTokens), "input_tokens_details": ["cached_tokens": .number(answer.cacheReadTokens)],
            "output_tokens": .number(answer.outputTokens), "output_tokens_details": ["reasoning_tokens": .number(answer.thinkingTokens)],
            "total_tokens": .number(answer.promptTokens + answer.outputTokens),
        ]
    }

    func object(status: String, output: [JSONValue], usage withUsage: Bool, error: JSONValue = nil) -> JSONValue {
        [
            "id": .string(id), "object": "response", "created_at": 1_700_000_000, "status": .string(status), "error": error,
            "incomplete_details": status == "incomplete" ? ["reason": "max_output_tokens"] : nil,
            "instructions": request.instructions, "max_output_tokens": request.maxOutputTokens, "model": .string(request.model),
            "output": .array(output), "parallel_tool_calls": true, "previous_response_id": request.previousResponseID,
            "tools": request.tools, "usage": withUsage ? usage : nil, "metadata": [:],
        ]
    }
}
