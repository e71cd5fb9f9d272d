import SwitchyardJSON

/// The Anthropic stream of a message, event by event as the API sends it: `message_start`; per
/// content block a `content_block_start`, its deltas and a `content_block_stop` (a `ping` after
/// the first start); `message_delta` with the stop reason and output tokens; `message_stop`.
extension MockAnthropicMessage {
    /// `chunks` replaces the text with that many fixed words (benchmarks); `streamError` ends the
    /// stream with an `error` event right after the first delta, as an overloaded API does.
    func events(chunks: Int?, streamError: Bool) -> TypedEvents {
        var events = TypedEvents()
        events.append([
            "type": "message_start",
            "message": message(content: [], stopReason: nil, stopSequence: nil, outputTokens: 1),
        ])
        var index = 0
        var broken = false
        func block(_ start: JSONValue, deltas: [JSONValue]) {
            events.append(["type": "content_block_start", "index": .number(index), "content_block": start])
            if index == 0 { events.append(["type": "ping"]) }
            for delta in deltas {
                events.append(["type": "content_block_delta", "index": .number(index), "delta": delta])
                if streamError {
                    events.append(Self.overloaded)
                    broken = true
                    return
                }
            }
            events.append(["type": "content_block_stop", "index": .number(index)])
            index += 1
        }
        if let thinking = answer.thinking {
            let deltas = MockAnswer.pieces(of: Substring(thinking)).map { piece -> JSONValue in ["type": "thinking_delta", "thinking": .string(String(piece))] }
            block(["type": "thinking", "thinking": "", "signature": ""], deltas: deltas + [["type": "signature_delta", "signature": .string(answer.thinkingSignature)]])
        }
        if broken { return events }
        if let name = answer.toolName {
            let arguments = MockAnswer.toolArguments
            let half = arguments.index(arguments.startIndex, offsetBy: arguments.count / 2)
            let fragments = ["", String(arguments[..<half]), String(arguments[half...])]
            block(
                ["type": "tool_use", "id": .string(toolUseID), "name": .string(name), "input": [:]],
                deltas: fragments.map { ["type": "input_json_delta", "partial_json": .string($0)] }
            )
        } else {
            let pieces = answer.pieces(chunks: chunks)
            block(["type": "text", "text": ""], deltas: pieces.map { ["type": "text_delta", "text": .string(String($0))] })
        }
        if broken { return events }
        if streamError {  // no delta to break after (an empty text): break before the end
            events.append(Self.overloaded)
            return events
        }
        events.append([
            "type": "message_delta",
            "delta": ["stop_reason": .string(stopReason), "stop_sequence": stopSequence],
            "usage": ["output_tokens": .number(answer.outputTokens)],
        ])
        events.append(["type": "message_stop"])
        return events
    }

    private static let overloaded = MockErrorFormat.anthropicError("Overloaded", type: "overloaded_error")
}
