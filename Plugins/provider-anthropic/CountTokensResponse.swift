import SwitchyardPluginSDK

/// Anthropic's `{"input_tokens":N}` from /messages/count_tokens, re-written with that field
/// alone. Counting is free, so the usage metadata reports zero tokens.
final class CountTokensResponse: ResponseTransformer {
    private var body: [UInt8] = []

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        body.append(contentsOf: chunk)
    }

    func end(out: Sink) throws(PluginError) {
        guard let count = (try? JSONValue.parse(body))?["input_tokens"]?.intValue else {
            throw PluginError(SY_E_UPSTREAM, "anthropic sent a token count without input_tokens", httpStatus: 502, retryable: true)
        }
        var json = JSONWriter(capacity: 32)
        json.raw(#"{"input_tokens":"#)
        json.number(count)
        json.raw("}")
        out.json(json.bytes)
        out.meta(AnthropicUsage().meta)
    }
}
