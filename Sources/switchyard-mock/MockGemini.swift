import SwitchyardJSON

/// A Gemini route, `/v1beta/models/{model}:{method}`.
struct MockGeminiPath {
    static let prefix = "/v1beta/models/"
    let model: String
    let method: String

    init?(_ path: String) {
        guard path.hasPrefix(Self.prefix) else { return nil }
        let rest = path.dropFirst(Self.prefix.count)
        guard let colon = rest.lastIndex(of: ":"), colon > rest.startIndex else { return nil }
        model = String(rest[..<colon])
        method = String(rest[rest.index(after: colon)...])
    }
}

/// Gemini's JSON accepts each field in camelCase or in its proto snake_case name.
func geminiField(_ value: JSONValue?, _ camel: String, _ snake: String) -> JSONValue? {
    value?[camel] ?? value?[snake]
}

/// A `generateContent` / `streamGenerateContent` / `countTokens` request, checked the way Gemini
/// checks it (failures carry INVALID_ARGUMENT messages).
struct MockGeminiRequest {
    let question: MockAnswer.Question
    /// `generationConfig.candidateCount`, 1...8.
    let candidates: Int

    init(_ body: JSONValue?) throws(MockRejection) {
        guard let body, body.objectValue != nil else { throw MockRejection(message: "Invalid JSON payload received.") }
        guard let contents = body["contents"]?.arrayValue, !contents.isEmpty else {
            throw MockRejection(message: "* GenerateContentRequest.contents: contents is not specified\n")
        }
        var question = MockAnswer.Question()
        question.promptWords = MockAnswer.words(Self.text(of: geminiField(body, "systemInstruction", "system_instruction")))
        var calledFunctions: [String] = []
        for (index, content) in contents.enumerated() {
            let role = content["role"]?.stringValue ?? "user"
            guard role == "user" || role == "model" else { throw MockRejection(message: "Please use a valid role: user, model.") }
            guard let parts = content["parts"]?.arrayValue, !parts.isEmpty else {
                throw MockRejection(message: "* GenerateContentRequest.contents[\(index)].parts: contents.parts must not be empty.\n")
            }
            for (position, part) in parts.enumerated() {
                if let call = geminiField(part, "functionCall", "function_call") {
                    calledFunctions.append(call["name"]?.stringValue ?? "")
                }
                if let response = geminiField(part, "functionResponse", "function_response") {
                    let name = response["name"]?.stringValue ?? ""
                    guard calledFunctions.contains(name) else {
                        throw MockRejection(message: "* GenerateContentRequest.contents[\(index)].parts[\(position)].function_response.name: no earlier function_call is named \"\(name)\".\n")
                    }
                    question.promptWords += MockAnswer.words(response["response"].map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "")
                }
            }
            let text = Self.text(of: content)
            question.promptWords += MockAnswer.words(text)
            if role == "user", parts.contains(where: { $0["text"] != nil }) { question.lastUserText = text }
        }
        let declarations = (body["tools"]?.arrayValue ?? []).flatMap { geminiField($0, "functionDeclarations", "function_declarations")?.arrayValue ?? [] }
        question.toolsOffered = !declarations.isEmpty
        question.firstTool = declarations.first?["name"]?.stringValue
        let config = geminiField(body, "generationConfig", "generation_config")
        question.maxTokens = geminiField(config, "maxOutputTokens", "max_output_tokens")?.intValue
        question.stopSequences = (geminiField(config, "stopSequences", "stop_sequences")?.arrayValue ?? []).compactMap(\.stringValue)
        guard question.stopSequences.count <= 5 else { throw MockRejection(message: "* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences are allowed.\n") }
        let count = geminiField(config, "candidateCount", "candidate_count")?.intValue ?? 1
        guard (1...8).contains(count) else { throw MockRejection(message: "* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8.\n") }
        candidates = count
        self.question = question
    }

    /// `countTokens` takes `contents`, or a whole `generateContentRequest`.
    static func forCountTokens(_ body: JSONValue?) throws(MockRejection) -> MockGeminiRequest {
        if let inner = geminiField(body, "generateContentRequest", "generate_content_request") { return try MockGeminiRequest(inner) }
        return try MockGeminiRequest(body)
    }

    /// A content's text parts joined by a space (thought parts included: they were model output).
    static func text(of content: JSONValue?) -> String {
        (content?["parts"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: " ")
    }
}

/// The `GenerateContentResponse` for an answer: whole, or as the stream's chunks.
struct MockGeminiResponse {
    let model: String
    let responseID: String
    let answer: MockAnswer
    let candidates: Int

    func whole() -> [UInt8] {
        var parts: [JSONValue] = []
        if let thinking = answer.thinking { parts.append(["text": .string(thinking), "thought": true]) }
        parts.append(answerPart(text: answer.text))
        return response(parts: parts, last: true).serialized()
    }

    /// One chunk per word (`chunks`: that many fixed words), the thought first when there is one;
    /// the last chunk has the finish reason and the usage. `streamError` replaces everything after
    /// the first chunk with the error Gemini sends when the model is overloaded.
    func events(chunks: Int?, streamError: Bool) -> [[UInt8]] {
        var events: [JSONValue] = []
        if let thinking = answer.thinking { events.append(response(parts: [["text": .string(thinking), "thought": true]], last: false)) }
        if answer.toolName != nil {
            events.append(response(parts: [answerPart(text: "")], last: true))
        } else {
            let pieces = answer.pieces(chunks: chunks)
            for (index, piece) in pieces.enumerated() {
                events.append(response(parts: [["text": .string(String(piece))]], last: index == pieces.count - 1))
            }
            if pieces.isEmpty { events.append(response(parts: [["text": ""]], last: true)) }
        }
        if streamError {
            events = Array(events.prefix(1))
            events.append(["error": ["code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"]])
        }
        return events.map { $0.serialized() }
    }

    private func answerPart(text: String) -> JSONValue {
        guard let name = answer.toolName else { return ["text": .string(text)] }
        let arguments = (try? JSONValue.parse(MockAnswer.toolArguments)) ?? [:]
        return ["functionCall": ["name": .string(name), "args": arguments]]
    }

    private func response(parts: [JSONValue], last: Bool) -> JSONValue {
        let list = (0..<candidates).map { index -> JSONValue in
            var candidate = JSONObject([("content", ["parts": .array(parts), "role": "model"])])
            if last { candidate["finishReason"] = answer.stop == .maxTokens ? "MAX_TOKENS" : "STOP" }
            candidate["index"] = .number(index)
            return .object(candidate)
        }
        var object = JSONObject([("candidates", .array(list))])
        if last { object["usageMetadata"] = usage }
        object["modelVersion"] = .string(model)
        object["responseId"] = .string(responseID)
        return .object(object)
    }

    /// Gemini counts cached tokens inside `promptTokenCount` and thoughts outside
    /// `candidatesTokenCount`; every candidate costs its own output.
    private var usage: JSONValue {
        let candidateTokens = answer.answerTokens * candidates
        let thoughtTokens = answer.thinkingTokens * candidates
        var usage = JSONObject([
            ("promptTokenCount", .number(answer.promptTokens)), ("candidatesTokenCount", .number(candidateTokens)),
            ("totalTokenCount", .number(answer.promptTokens + candidateTokens + thoughtTokens)),
        ])
        if answer.cacheReadTokens > 0 { usage["cachedContentTokenCount"] = .number(answer.cacheReadTokens) }
        if answer.thinking != nil { usage["thoughtsTokenCount"] = .number(thoughtTokens) }
        return .object(usage)
    }

    static func countTokens(_ question: MockAnswer.Question) -> [UInt8] {
        let total = max(1, question.promptWords)
        let value: JSONValue = ["totalTokens": .number(total), "promptTokensDetails": [["modality": "TEXT", "tokenCount": .number(total)]]]
        return value.serialized()
    }
}
