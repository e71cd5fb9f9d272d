import SwitchyardPluginSDK

/// Any OpenAI-compatible upstream: OpenAI, vLLM, Ollama, Groq, DeepSeek, OpenRouter, Together...
/// The canonical request is the OpenAI format, so the body is forwarded byte for byte (the host
/// has already rewritten `model`); only the response needs reading, and only lightly.
final class OpenAIProvider: Provider {
    let config: OpenAIConfig

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        self.config = try OpenAIConfig(config, host: host)
    }

    func prepare(_ call: CallInfo, request: UnsafeRawBufferPointer, into upstream: UpstreamRequestBuilder) throws(PluginError) {
        guard call.operation == SY_OP_CHAT_COMPLETIONS else {
            throw .unsupported("the openai provider serves chat completions only (operation \(call.operation))")
        }
        upstream.setMethod("POST")
        upstream.setURL(config.chatCompletionsURL)
        upstream.addHeader("Content-Type", "application/json")
        upstream.addHeader("Accept", call.stream ? "text/event-stream" : "application/json")
        for header in config.headers { upstream.addHeader(header.name, header.value) }
        upstream.appendBody(request)
    }

    func responseTransformer(_ call: CallInfo, status: Int, headers: ResponseHeaders) throws(PluginError) -> any ResponseTransformer {
        if !(200..<300).contains(status) { return UpstreamErrorResponse(status: status) }
        return call.stream ? OpenAIStreamResponse() : OpenAIWholeResponse()
    }
}
