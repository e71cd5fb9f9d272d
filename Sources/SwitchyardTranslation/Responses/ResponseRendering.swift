import SwitchyardJSON

/// How a response ended, from the canonical finish_reason: `length` and `content_filter`
/// leave it `incomplete` (reason `max_output_tokens` / `content_filter`), anything else
/// `completed`.
struct ResponseOutcome: Sendable {
    let status: String
    let incompleteReason: String?

    init(finishReason: String?) {
        switch finishReason {
        case "length": (status, incompleteReason) = ("incomplete", "max_output_tokens")
        case "content_filter": (status, incompleteReason) = ("incomplete", "content_filter")
        default: (status, incompleteReason) = ("completed", nil)
        }
    }

    private init(status: String) {
        self.status = status
        incompleteReason = nil
    }

    static let inProgress = ResponseOutcome(status: "in_progress")
    static let failed = ResponseOutcome(status: "failed")

    /// The status of the item that was open when the response ended.
    var lastItemStatus: String { status == "incomplete" ? "incomplete" : "completed" }
}

/// The `response` object, shared by the whole path, the stream's created/in_progress events
/// and its final event.
enum ResponseRendering {
    static func responseID(_ canonicalID: String) -> String { "resp_" + DerivedID.stem(canonicalID) }

    static func response(
        id: String, createdAt: Int, model: String, outcome: ResponseOutcome, output: [ResponseOutputItem],
        usage: CanonicalUsage?, echo: ResponsesEcho, error: JSONValue = .null
    ) -> JSONValue {
        [
            "id": .string(id), "object": "response", "created_at": .number(createdAt), "status": .string(outcome.status),
            "error": error,
            "incomplete_details": outcome.incompleteReason.map { ["reason": .string($0)] } ?? .null,
            "instructions": echo.instructions, "max_output_tokens": echo.maxOutputTokens, "model": .string(model),
            "output": .array(output.map(\.json)), "parallel_tool_calls": echo.parallelToolCalls,
            "previous_response_id": echo.previousResponseID, "reasoning": echo.reasoning, "store": echo.store,
            "temperature": echo.temperature, "text": echo.text, "tool_choice": echo.toolChoice, "tools": echo.tools,
            "top_p": echo.topP, "truncation": "disabled", "usage": usage.map(Self.usage) ?? .null, "user": echo.user,
            "metadata": echo.metadata,
        ]
    }

    /// A whole completion's output items, in the canonical order (reasoning, message, function
    /// calls); the last one takes the outcome's status, as the stream's open item does.
    static func output(_ completion: CanonicalCompletion, responseID: String, outcome: ResponseOutcome) -> [ResponseOutputItem] {
        var items: [ResponseOutputItem] = []
        func add(_ kind: ResponseOutputItem.Kind) -> Int {
            items.append(ResponseOutputItem(kind: kind, responseID: responseID, outputIndex: items.count))
            return items.count - 1
        }
        if completion.hasReasoning {
            let index = add(.reasoning)
            items[index].reasoning = completion.reasoning ?? ""
            items[index].signature = completion.reasoningSignature
        }
        let text = completion.content.flatMap { $0.isEmpty ? nil : $0 }
        let refusal = completion.refusal.flatMap { $0.isEmpty ? nil : $0 }
        if text != nil || refusal != nil {
            let index = add(.message)
            if let text { items[index].parts.append(ContentPart(kind: .outputText, text: text)) }
            if let refusal { items[index].parts.append(ContentPart(kind: .refusal, text: refusal)) }
        }
        for call in completion.toolCalls {
            let index = add(.functionCall)
            items[index].callID = call.id
            items[index].name = call.name
            items[index].arguments = call.arguments
        }
        for index in items.indices { items[index].status = "completed" }
        if !items.isEmpty { items[items.count - 1].status = outcome.lastItemStatus }
        return items
    }

    /// Responses usage: `input_tokens` includes cached tokens (as OpenAI counts them).
    static func usage(_ usage: CanonicalUsage) -> JSONValue {
        [
            "input_tokens": .number(usage.promptTokens),
            "input_tokens_details": ["cached_tokens": .number(usage.cachedTokens)],
            "output_tokens": .number(usage.completionTokens),
            "output_tokens_details": ["reasoning_tokens": .number(usage.reasoningTokens)],
            "total_tokens": .number(usage.promptTokens + usage.completionTokens),
        ]
    }
}
