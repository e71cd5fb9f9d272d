import SwitchyardPluginSDK

/// Any OpenAI-compatible upstream: OpenAI, Azure OpenAI, vLLM, Ollama, Groq, DeepSeek,
/// OpenRouter, Together... The canonical request is the OpenAI format, so bodies are forwarded
/// byte for byte (the host has already rewritten `model`); only responses are read, lightly.
final class OpenAIProvider: PassthroughProvider {
    let config: OpenAIConfig

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        self.config = try OpenAIConfig(config, host: host)
    }

    func prepare(_ call: CallInfo, request: UnsafeRawBufferPointer, into upstream: UpstreamRequestBuilder) throws(PluginError) {
        let url = try config.url(call.operation, model: call.upstreamModel)
        upstream.setMethod("POST")
        upstream.setURL(url)
        upstream.addHeader("Content-Type", "application/json")
        upstream.addHeader("Accept", call.stream ? "text/event-stream" : "application/json")
        for header in config.headers { upstream.addHeader(header.name, header.value) }
        if call.operation == SY_OP_CHAT_COMPLETIONS, call.stream, config.streamUsage, !call.requestsUsageChunk {
            // Every stream is metered: ask for the usage chunk; the transformer keeps it from a
            // client that did not ask for it.
            upstream.appendBody(try StreamUsageRequest.body(request))
        } else {
            upstream.appendBody(request)
        }
    }

    /// The client's own request to the upstream's native API: its path joined to the base URL
    /// (`PassthroughURL`), and this instance's headers: the key (Bearer, or `api-key` for Azure),
    /// organization, project and the configured extra headers.
    func passthrough(_ call: CallInfo, method: String, path: String, into upstream: UpstreamRequestBuilder) throws(PluginError) {
        upstream.setURL(try config.passthroughURL.url(path))
        for header in config.headers { upstream.addHeader(header.name, header.value) }
    }

    func responseTransformer(_ call: CallInfo, status: Int, headers: ResponseHeaders) throws(PluginError) -> any ResponseTransformer {
        if !(200..<300).contains(status) { return OpenAIUpstreamError(status: status) }  // the SDK's policy, as it is
        switch call.operation {
        case SY_OP_RESPONSES:
            return call.stream ? ResponsesStreamResponse() : ResponsesWholeResponse()
        case SY_OP_EMBEDDINGS:
            return OpenAIWholeResponse()
        default:
            return call.stream ? OpenAIStreamResponse(forwardUsageChunk: call.requestsUsageChunk) : OpenAIWholeResponse()
        }
    }
}

/// The chat body with `stream_options.include_usage: true`, written without decoding it when
/// it has no `stream_options` yet (the common case: one splice before the closing brace).
enum StreamUsageRequest {
    static func body(_ request: UnsafeRawBufferPointer) throws(PluginError) -> [UInt8] {
        guard let scan = try? TopLevelScan(request) else { throw .invalid("the request body is not a JSON object") }
        if scan.range(of: "stream_options") == nil, let close = request.lastIndex(of: UInt8(ascii: "}")) {
            var json = JSONWriter(capacity: request.count + 40)
            json.raw(UnsafeRawBufferPointer(rebasing: request[..<close]))
            if scan.count > 0 { json.raw(",") }
            json.raw(#""stream_options":{"include_usage":true}}"#)
            return json.bytes
        }
        guard var object = (try? JSONValue.parse(request))?.objectValue else { throw .invalid("the request body is not a JSON object") }
        var options = object["stream_options"]?.objectValue ?? JSONObject()
        options["include_usage"] = true
        object["stream_options"] = .object(options)
        return JSONValue.object(object).serialized()
    }
}
