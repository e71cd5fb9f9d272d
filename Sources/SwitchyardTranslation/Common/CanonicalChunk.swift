import SwitchyardJSON

/// One tool-call entry of a chunk's delta: the first entry for an index carries `id` and
/// `name`, later ones only an `arguments` fragment (docs/canonical.md, "Stream").
struct ToolCallDelta: Sendable {
    var index: Int
    var id: String?
    var name: String?
    var arguments: String?
}

/// The parts of one canonical `chat.completion.chunk` (first choice) the stream translators
/// use. Read from a `JSONValue` the caller already parsed; nothing here retains the chunk.
struct CanonicalChunk: Sendable {
    var id: String?
    var model: String?
    var created: Int?
    var content: String?
    var refusal: String?
    var reasoning: String?
    var reasoningSignature: String?
    var toolCalls: [ToolCallDelta] = []
    var finishReason: String?
    var usage: CanonicalUsage?
    /// An OpenAI-shaped `error` object sent in place of a chunk (a mid-stream failure).
    var error: JSONValue?

    init(_ chunk: JSONValue) throws(TranslationError) {
        guard chunk.objectValue != nil else { throw .upstream("provider sent a stream chunk that is not a JSON object") }
        if let error = chunk["error"], !error.isNull {
            self.error = error
            return
        }
        id = chunk["id"]?.stringValue
        model = chunk["model"]?.stringValue
        created = chunk["created"]?.intValue
        usage = CanonicalUsage(chunk["usage"])
        guard let choice = chunk["choices"]?[0] else { return }
        finishReason = choice["finish_reason"]?.stringValue
        guard let delta = choice["delta"] else { return }
        content = delta["content"]?.stringValue
        refusal = delta["refusal"]?.stringValue
        reasoning = delta["reasoning_content"]?.stringValue
        reasoningSignature = delta["reasoning_signature"]?.stringValue
        for (position, call) in (delta["tool_calls"]?.arrayValue ?? []).enumerated() {
            guard let index = call["index"]?.intValue, index >= 0 else {
                throw .upstream("provider sent delta.tool_calls[\(position)] without an index")
            }
            toolCalls.append(ToolCallDelta(
                index: index, id: call["id"]?.stringValue, name: call["function"]?["name"]?.stringValue,
                arguments: call["function"]?["arguments"]?.stringValue))
        }
    }
}
