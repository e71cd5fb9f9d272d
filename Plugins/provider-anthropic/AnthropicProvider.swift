import SwitchyardPluginSDK

/// The Anthropic Messages API. Chat completions and token counts are translated from the
/// canonical (OpenAI) form; native /v1/messages requests are forwarded as they are.
final class AnthropicProvider: PassthroughProvider {
    let config: AnthropicConfig
    let host: PluginHost

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        self.config = try AnthropicConfig(config, host: host)
        self.host = host
    }

    func prepare(_ call: CallInfo, request: UnsafeRawBufferPointer, into upstream: UpstreamRequestBuilder) throws(PluginError) {
        switch call.operation {
        case SY_OP_CHAT_COMPLETIONS:
            let canonical = try Self.parse(request)
            let body = try ChatRequestTranslation.anthropicBody(
                canonical, for: .generate(stream: call.stream, defaultMaxTokens: config.defaultMaxTokens))
            start(upstream, url: config.messagesURL, stream: call.stream)
            upstream.appendBody(body.serialized())
        case SY_OP_COUNT_TOKENS:
            let body = try ChatRequestTranslation.anthropicBody(try Self.parse(request), for: .countTokens)
            start(upstream, url: config.countTokensURL, stream: false)
            upstream.appendBody(body.serialized())
        case SY_OP_MESSAGES:
            start(upstream, url: config.messagesURL, stream: call.stream)
            upstream.appendBody(request)
        default:
            throw .unsupported("the anthropic provider serves chat completions, messages and count_tokens (operation \(call.operation))")
        }
    }

    /// The client's own request to the Messages API (or any other Anthropic endpoint): its path
    /// joined to the base URL (`PassthroughURL`), `x-api-key` and the configured extra headers.
    func passthrough(_ call: CallInfo, method: String, path: String, into upstream: UpstreamRequestBuilder) throws(PluginError) {
        upstream.setURL(try config.passthroughURL.url(path))
        for header in config.passthroughHeaders { upstream.addHeader(header.name, header.value) }
    }

    func responseTransformer(_ call: CallInfo, status: Int, headers: ResponseHeaders) throws(PluginError) -> any ResponseTransformer {
        let includeUsage = call.operation == SY_OP_CHAT_COMPLETIONS && call.requestsUsageChunk
        guard (200..<300).contains(status) else {
            return UpstreamErrorResponse(status: status, shape: call.operation == SY_OP_MESSAGES ? .anthropic : .openAI)
        }
        switch call.operation {
        case SY_OP_MESSAGES:
            return call.stream ? NativeStreamResponse() : NativeWholeResponse()
        case SY_OP_COUNT_TOKENS:
            return CountTokensResponse()
        default:
            let created = Int(host.unixNanoseconds() / 1_000_000_000)
            return call.stream ? ChatStreamResponse(created: created, includeUsage: includeUsage) : ChatWholeResponse(created: created)
        }
    }

    private func start(_ upstream: UpstreamRequestBuilder, url: String, stream: Bool) {
        upstream.setMethod("POST")
        upstream.setURL(url)
        upstream.addHeader("content-type", "application/json")
        upstream.addHeader("accept", stream ? "text/event-stream" : "application/json")
        for header in config.headers { upstream.addHeader(header.name, header.value) }
    }

    private static func parse(_ request: UnsafeRawBufferPointer) throws(PluginError) -> JSONValue {
        do { return try JSONValue.parse(request) } catch { throw .invalid("the request body is not valid JSON: \(error)") }
    }
}
