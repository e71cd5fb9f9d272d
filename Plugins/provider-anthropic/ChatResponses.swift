import SwitchyardPluginSDK

/// A whole Anthropic message, buffered and translated once complete.
final class ChatWholeResponse: ResponseTransformer {
    private let created: Int
    private var body: [UInt8] = []

    init(created: Int) { self.created = created }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        body.append(contentsOf: chunk)
    }

    func end(out: Sink) throws(PluginError) {
        guard let message = try? JSONValue.parse(body) else {
            throw PluginError(SY_E_UPSTREAM, "anthropic sent a response that is not JSON", httpStatus: 502, retryable: true)
        }
        let translated = try ChatResponseTranslation.chatCompletion(message, created: created)
        out.json(translated.body)
        out.meta(translated.usage.meta)
    }
}

/// An Anthropic event stream, translated event by event by a ChatStreamMachine.
final class ChatStreamResponse: ResponseTransformer {
    private var parser = ServerSentEvents()
    private var machine: ChatStreamMachine

    init(created: Int, includeUsage: Bool) {
        machine = ChatStreamMachine(created: created, includeUsage: includeUsage)
    }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        try parser.feed(chunk) { (event) throws(PluginError) in
            try perform(machine.consume(event), out)
        }
    }

    func end(out: Sink) throws(PluginError) {
        if let step = machine.endOfStream() { try perform(step, out) }
    }

    private func perform(_ step: ChatStreamMachine.Step, _ out: Sink) throws(PluginError) {
        switch step {
        case .nothing:
            return
        case .emit(let chunk):
            guard out.json(chunk) else { throw PluginError(SY_E_CANCELLED, "client went away") }
        case .complete(let chunks, let meta):
            for chunk in chunks {
                guard out.json(chunk) else { throw PluginError(SY_E_CANCELLED, "client went away") }
            }
            out.meta(meta)
        case .fail(let errorBody, let meta, let failure):
            if let meta { out.meta(meta) }
            out.error(errorBody)
            throw failure
        }
    }
}
