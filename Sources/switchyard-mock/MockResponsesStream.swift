import SwitchyardJSON

/// The Responses stream, with OpenAI's event types and a `sequence_number` on each:
/// `response.created`, `response.in_progress`; per output item `response.output_item.added`, its
/// part and delta events, `response.output_item.done`; then `response.completed` (or
/// `response.incomplete` when `max_output_tokens` cut the text).
extension MockResponsesResponse {
    /// `chunks` replaces the text with that many fixed words (benchmarks); `streamError` ends the
    /// stream with `response.failed` right after the first delta.
    func events(chunks: Int?, streamError: Bool) -> TypedEvents {
        var stream = Sequenced()
        let inProgress = object(status: "in_progress", output: [], usage: false)
        stream.append("response.created", ["response": inProgress])
        stream.append("response.in_progress", ["response": inProgress])
        var outputIndex = 0
        var broken = false
        /// After a delta: breaks the stream once when `streamError` asks, and says whether it did.
        func breaks() -> Bool {
            guard streamError, !broken else { return broken }
            broken = true
            let error: JSONValue = ["code": "server_error", "message": "The server had an error while processing your request."]
            stream.append("response.failed", ["response": object(status: "failed", output: [], usage: false, error: error)])
            return true
        }
        if let thinking = answer.thinking {
            let at = JSONObject([("item_id", .string(reasoningID)), ("output_index", .number(outputIndex)), ("summary_index", 0)])
            stream.append("response.output_item.added", ["output_index": .number(outputIndex), "item": reasoningItem(summary: nil)])
            stream.append("response.reasoning_summary_part.added", at, ["part": ["type": "summary_text", "text": ""]])
            for piece in MockAnswer.pieces(of: Substring(thinking)) {
                stream.append("response.reasoning_summary_text.delta", at, ["delta": .string(String(piece))])
                if breaks() { return stream.events }
            }
            stream.append("response.reasoning_summary_text.done", at, ["text": .string(thinking)])
            stream.append("response.reasoning_summary_part.done", at, ["part": ["type": "summary_text", "text": .string(thinking)]])
            stream.append("response.output_item.done", ["output_index": .number(outputIndex), "item": reasoningItem(summary: thinking)])
            outputIndex += 1
        }
        if answer.toolName != nil {
            let at = JSONObject([("item_id", .string(callItemID)), ("output_index", .number(outputIndex))])
            let arguments = MockAnswer.toolArguments
            let half = arguments.index(arguments.startIndex, offsetBy: arguments.count / 2)
            stream.append("response.output_item.added", ["output_index": .number(outputIndex), "item": callItem(arguments: "", status: "in_progress")])
            for fragment in [arguments[..<half], arguments[half...]] {
                stream.append("response.function_call_arguments.delta", at, ["delta": .string(String(fragment))])
                if breaks() { return stream.events }
            }
            stream.append("response.function_call_arguments.done", at, ["arguments": .string(arguments)])
            stream.append("response.output_item.done", ["output_index": .number(outputIndex), "item": callItem(arguments: arguments, status: "completed")])
        } else {
            let at = JSONObject([("item_id", .string(messageID)), ("output_index", .number(outputIndex)), ("content_index", 0)])
            let pieces = answer.pieces(chunks: chunks)
            let text = chunks == nil ? answer.text : pieces.joined()
            let status = truncated ? "incomplete" : "completed"
            stream.append("response.output_item.added", ["output_index": .number(outputIndex), "item": messageItem(text: nil, status: "in_progress")])
            stream.append("response.content_part.added", at, ["part": outputText("")])
            for piece in pieces {
                stream.append("response.output_text.delta", at, ["delta": .string(String(piece)), "logprobs": []])
                if breaks() { return stream.events }
            }
            stream.append("response.output_text.done", at, ["text": .string(text), "logprobs": []])
            stream.append("response.content_part.done", at, ["part": outputText(text)])
            stream.append("response.output_item.done", ["output_index": .number(outputIndex), "item": messageItem(text: text, status: status)])
        }
        if breaks() { return stream.events }
        let final = truncated ? "response.incomplete" : "response.completed"
        stream.append(final, ["response": object(status: truncated ? "incomplete" : "completed", output: outputItems, usage: true)])
        return stream.events
    }

    /// Events with `type` first and a `sequence_number` counting from 0.
    private struct Sequenced {
        var events = TypedEvents()

        mutating func append(_ type: String, _ fields: JSONObject, _ more: JSONValue = [:]) {
            var event = JSONObject([("type", .string(type)), ("sequence_number", .number(events.count))])
            for (key, value) in fields { event[key] = value }
            for (key, value) in more.objectValue ?? JSONObject() { event[key] = value }
            events.append(.object(event))
        }

        mutating func append(_ type: String, _ fields: JSONValue) {
            append(type, fields.objectValue ?? JSONObject())
        }
    }
}
