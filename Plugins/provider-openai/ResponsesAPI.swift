import SwitchyardPluginSDK

/// A whole Responses API `response` object: forwarded, with its usage normalized as metadata.
final class ResponsesWholeResponse: ResponseTransformer {
    private var body: [UInt8] = []

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        body.append(contentsOf: chunk)
    }

    func end(out: Sink) throws(PluginError) {
        guard let response = try? JSONValue.parse(body), response.objectValue != nil else {
            throw PluginError(SY_E_UPSTREAM, "upstream sent a response that is not a JSON object", httpStatus: 502, retryable: true)
        }
        out.json(body)
        if let usage = ResponsesUsage.meta(response["usage"]) { out.meta(usage) }
    }
}

/// A Responses API stream: each event's data object is forwarded (the host frames it under its
/// `type`); the final `response.completed` / `response.incomplete` carries the usage. The
/// stream has no `[DONE]`: it is complete once a terminal event arrived.
final class ResponsesStreamResponse: ResponseTransformer {
    private var parser = ServerSentEvents()
    private var terminated = false

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        try parser.feed(chunk) { (payload) throws(PluginError) in try forward(payload, out) }
    }

    func end(out: Sink) throws(PluginError) {
        guard terminated else {
            throw PluginError(SY_E_UPSTREAM, "upstream stream ended before response.completed", httpStatus: 502, retryable: true)
        }
    }

    private func forward(_ payload: UnsafeRawBufferPointer, _ out: Sink) throws(PluginError) {
        guard let scan = try? TopLevelScan(payload), let typeRange = scan.range(of: "type") else {
            throw PluginError(SY_E_UPSTREAM, "upstream sent a Responses event that is not a JSON object with a type", httpStatus: 502)
        }
        let type = payload[typeRange]
        guard out.json(payload) else { throw PluginError(SY_E_CANCELLED, "client went away") }
        if type.elementsEqual(#""error""#.utf8) || type.elementsEqual(#""response.failed""#.utf8) {
            throw PluginError(SY_E_UPSTREAM, "upstream reported an error mid-stream", httpStatus: 502)
        }
        if type.elementsEqual(#""response.completed""#.utf8) || type.elementsEqual(#""response.incomplete""#.utf8) {
            terminated = true
            if let event = try? JSONValue.parse(payload), let usage = ResponsesUsage.meta(event["response"]?["usage"]) { out.meta(usage) }
        }
    }
}

/// Responses API usage → the canonical `{"usage":{...}}` metadata (docs/canonical.md).
enum ResponsesUsage {
    static func meta(_ usage: JSONValue?) -> [UInt8]? {
        guard let usage, usage.objectValue != nil else { return nil }
        let input = usage["input_tokens"]?.intValue ?? 0
        let output = usage["output_tokens"]?.intValue ?? 0
        let canonical: JSONValue = ["usage": [
            "prompt_tokens": .number(input), "completion_tokens": .number(output), "total_tokens": .number(input + output),
            "prompt_tokens_details": ["cached_tokens": .number(usage["input_tokens_details"]?["cached_tokens"]?.intValue ?? 0)],
            "completion_tokens_details": ["reasoning_tokens": .number(usage["output_tokens_details"]?["reasoning_tokens"]?.intValue ?? 0)],
        ]]
        return canonical.serialized()
    }
}
