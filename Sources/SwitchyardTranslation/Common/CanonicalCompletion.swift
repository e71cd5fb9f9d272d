import SwitchyardJSON

/// One tool call of a canonical assistant message.
struct CanonicalToolCall: Equatable, Sendable {
    var id: String
    var name: String
    /// The arguments as the model wrote them: JSON text, not guaranteed to parse.
    var arguments: String
}

/// The parts of a canonical `chat.completion` (first choice) the ingress translators render.
/// A provider's output is untrusted: anything malformed that the renderings need is a 502.
struct CanonicalCompletion: Sendable {
    var id: String
    var model: String
    var created: Int
    var content: String?
    var refusal: String?
    var reasoning: String?
    var reasoningSignature: String?
    var toolCalls: [CanonicalToolCall]
    var finishReason: String?
    var usage: CanonicalUsage?

    /// Whether there is reasoning to render (a stream opens a reasoning block or item only for
    /// non-empty text or signature, so the whole path does the same).
    var hasReasoning: Bool { !(reasoning ?? "").isEmpty || !(reasoningSignature ?? "").isEmpty }

    init(_ completion: JSONValue) throws(TranslationError) {
        guard completion.objectValue != nil else { throw .upstream("provider returned a chat completion that is not a JSON object") }
        guard let choice = completion["choices"]?[0], let message = choice["message"], message.objectValue != nil else {
            throw .upstream("provider returned a chat completion without choices[0].message")
        }
        id = completion["id"]?.stringValue ?? ""
        model = completion["model"]?.stringValue ?? ""
        created = completion["created"]?.intValue ?? 0
        content = message["content"]?.stringValue
        refusal = message["refusal"]?.stringValue
        reasoning = message["reasoning_content"]?.stringValue
        reasoningSignature = message["reasoning_signature"]?.stringValue
        finishReason = choice["finish_reason"]?.stringValue
        usage = CanonicalUsage(completion["usage"])
        toolCalls = []
        for (index, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            guard let id = call["id"]?.stringValue, let name = call["function"]?["name"]?.stringValue else {
                throw .upstream("provider returned tool_calls[\(index)] without an id or a function name")
            }
            toolCalls.append(CanonicalToolCall(id: id, name: name, arguments: call["function"]?["arguments"]?.stringValue ?? ""))
        }
    }
}
