import SwitchyardPluginSDK

/// Google's Generative Language API (v1beta): chat completions (whole and SSE), embeddings and
/// token counting, translated between the canonical OpenAI format and Gemini's own.
final class GeminiProvider: PassthroughProvider {
    let config: GeminiConfig
    let host: PluginHost

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        self.config = try GeminiConfig(config, host: host)
        self.host = host
    }

    func prepare(_ call: CallInfo, request: UnsafeRawBufferPointer, into upstream: UpstreamRequestBuilder) throws(PluginError) {
        guard let body = (try? JSONValue.parse(request))?.objectValue else { throw PluginError.invalid("the request body is not a JSON object") }
        let model = try Self.model(call, body)
        let url: String
        let upstreamBody: JSONValue
        switch call.operation {
        case SY_OP_CHAT_COMPLETIONS:
            let chat = try ChatRequest(body)
            url = call.stream ? config.url(model: model, method: "streamGenerateContent") + "?alt=sse" : config.url(model: model, method: "generateContent")
            upstreamBody = chat.generateContentBody
        case SY_OP_COUNT_TOKENS:
            let chat = try ChatRequest(body)
            url = config.url(model: model, method: "countTokens")
            upstreamBody = chat.countTokensBody(model: model)
        case SY_OP_EMBEDDINGS:
            let embeddings = try Embeddings.request(body, model: model)
            url = config.url(model: model, method: embeddings.method)
            upstreamBody = embeddings.body
        default:
            throw .unsupported("the gemini provider serves chat completions, embeddings and count_tokens only (operation \(call.operation))")
        }
        upstream.setMethod("POST")
        upstream.setURL(url)
        upstream.addHeader("Content-Type", "application/json")
        upstream.addHeader("Accept", call.stream && call.operation == SY_OP_CHAT_COMPLETIONS ? "text/event-stream" : "application/json")
        for header in config.headers { upstream.addHeader(header.name, header.value) }
        upstream.appendBody(upstreamBody.serialized())
    }

    /// The client's own request to the Generative Language API: its path joined to the base URL
    /// (`PassthroughURL`), `x-goog-api-key` and the configured extra headers.
    func passthrough(_ call: CallInfo, method: String, path: String, into upstream: UpstreamRequestBuilder) throws(PluginError) {
        upstream.setURL(try config.passthroughURL.url(path))
        for header in config.headers { upstream.addHeader(header.name, header.value) }
    }

    func responseTransformer(_ call: CallInfo, status: Int, headers: ResponseHeaders) throws(PluginError) -> any ResponseTransformer {
        let facts = CallFacts(call)
        if !(200..<300).contains(status) { return UpstreamErrorResponse(status: status) }
        let created = Int(host.unixNanoseconds() / 1_000_000_000)
        let model = call.upstreamModel
        switch call.operation {
        case SY_OP_CHAT_COMPLETIONS where call.stream:
            return ChatStream(facts: facts, created: created, model: model, requestID: call.requestID)
        case SY_OP_CHAT_COMPLETIONS:
            let response = ChatResponse(facts: facts, created: created, model: model, requestID: call.requestID)
            return BufferedResponse { (json: JSONValue, out: Sink) throws(PluginError) in try response.write(json, out) }
        case SY_OP_EMBEDDINGS:
            return BufferedResponse { (json: JSONValue, out: Sink) throws(PluginError) in try Embeddings.write(json, facts: facts, model: model, out) }
        case SY_OP_COUNT_TOKENS:
            return BufferedResponse { (json: JSONValue, out: Sink) throws(PluginError) in try CountTokens.write(json, out) }
        default:
            throw .unsupported("the gemini provider has no response for operation \(call.operation)")
        }
    }

    /// The upstream model goes into the URL path, so it must be a plain model name: no "/",
    /// "?", "#" or ":" that would change which resource the request reaches.
    private static func model(_ call: CallInfo, _ body: JSONObject) throws(PluginError) -> String {
        var name = call.upstreamModel.isEmpty ? body["model"]?.stringValue ?? "" : call.upstreamModel
        if name.hasPrefix("models/") { name.removeFirst("models/".count) }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
        }
        guard !name.isEmpty, allowed else { throw Rejection.invalid("model", "\"\(name)\" is not a Gemini model name") }
        return name
    }
}
