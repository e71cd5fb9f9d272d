import SwitchyardPluginSDK

/// Request options the response transformer must honour, because Gemini's answers do not echo
/// them: read back from the canonical request the host lends `begin` (`CallInfo.request`).
struct CallFacts: Sendable {
    /// `stream_options.include_usage`: whether the stream ends with a usage chunk.
    var includeUsage = false
    /// `encoding_format: "base64"` on an embeddings request.
    var base64Embeddings = false
    /// `logprobs: true`: choices carry a `logprobs` object.
    var logprobs = false
}

extension CallFacts {
    init(_ call: CallInfo) {
        includeUsage = call.requestsUsageChunk
        base64Embeddings = call.requestValueIs("encoding_format", #""base64""#)
        logprobs = call.requestValueIs("logprobs", "true")
    }
}
