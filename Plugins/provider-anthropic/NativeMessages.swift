import SwitchyardPluginSDK

/// A whole Anthropic message for a native /v1/messages client: forwarded as received once it is
/// known to be a JSON object; only its `usage` is read, for metering.
final class NativeWholeResponse: ResponseTransformer {
    private var body: [UInt8] = []

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        body.append(contentsOf: chunk)
    }

    func end(out: Sink) throws(PluginError) {
        let usage: AnthropicUsage? = body.withUnsafeBytes { raw in
            guard let message = try? RawObject(raw) else { return nil }
            out.json(raw)
            var usage = AnthropicUsage()
            if let counts = message.object("usage") { usage.update(counts) }
            return usage
        }
        guard let usage else {
            throw PluginError(SY_E_UPSTREAM, "anthropic sent a response that is not a JSON object", httpStatus: 502, retryable: true)
        }
        out.meta(usage.meta)
    }
}

/// An Anthropic event stream for a native /v1/messages client: each event's data object is
/// forwarded as one SY_OUT_JSON (the host writes `event: <type>` before it). Content deltas,
/// nearly all of the traffic, are recognised by their opening bytes and forwarded unread; the
/// other events are scanned for usage, errors and the end of the message.
final class NativeStreamResponse: ResponseTransformer {
    private var parser = ServerSentEvents()
    private var usage = AnthropicUsage()
    private var started = false
    private var stopped = false

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        try parser.feed(chunk) { (event) throws(PluginError) in try forward(event, out) }
    }

    func end(out: Sink) throws(PluginError) {
        guard stopped else {
            if started { out.meta(usage.meta) }
            let message = "anthropic stream ended before message_stop"
            out.error(Self.anthropicError(type: "api_error", message: message))
            throw PluginError(SY_E_UPSTREAM, message, httpStatus: 502, retryable: !started)
        }
    }

    private func forward(_ data: UnsafeRawBufferPointer, _ out: Sink) throws(PluginError) {
        guard !stopped else { return }
        if !data.starts(with: Self.contentDelta) {
            guard let event = try? RawObject(data) else {
                throw PluginError(SY_E_UPSTREAM, "anthropic sent a stream event that is not a JSON object", httpStatus: 502)
            }
            if event.has("type", #""error""#) {
                // Anthropic's own error event, kept as is for the /v1/messages client.
                if started { out.meta(usage.meta) }
                out.error(data)
                let message = event.object("error")?.string("message") ?? "error event"
                throw PluginError(SY_E_UPSTREAM, "anthropic stream error: \(message)", httpStatus: 502, retryable: !started)
            }
            if event.has("type", #""message_start""#) {
                started = true
                if let counts = event.object("message")?.object("usage") { usage.update(counts) }
            } else if event.has("type", #""message_delta""#), let counts = event.object("usage") {
                usage.update(counts)
            } else if event.has("type", #""message_stop""#) {
                stopped = true
            }
        }
        guard out.json(data) else { throw PluginError(SY_E_CANCELLED, "client went away") }
        if stopped { out.meta(usage.meta) }
    }

    static func anthropicError(type: String, message: String) -> [UInt8] {
        let body: JSONValue = ["type": "error", "error": ["type": .string(type), "message": .string(message)]]
        return body.serialized()
    }

    private static let contentDelta = Array(#"{"type":"content_block_delta""#.utf8)
}

extension Sink {
    @discardableResult
    func error(_ bytes: UnsafeRawBufferPointer) -> Bool { write(kind: SY_OUT_ERROR_JSON, bytes) }
}
