import SwitchyardPluginSDK

/// Renders the echo's answer in the OpenAI chat wire format, whole or as chunks.
struct EchoResponse {
    let id: String
    let model: String
    let created: Int
    let choices: Int
    let usage: EchoUsage

    func completion(_ reply: String) -> [UInt8] {
        var json = header(object: "chat.completion")
        json.raw(#","choices":["#)
        for index in 0..<choices {
            if index > 0 { json.raw(",") }
            json.raw(#"{"index":"#)
            json.number(index)
            json.raw(#","message":{"role":"assistant","content":"#)
            json.string(reply)
            json.raw(#"},"logprobs":null,"finish_reason":"stop"}"#)
        }
        json.raw("],")
        appendUsage(&json)
        json.raw("}")
        return json.bytes
    }

    /// Role chunk, one chunk per word (later words carry their leading space), a finish chunk,
    /// and a usage chunk when the client asked for one.
    /// Writes the reply as chunks; false when the host stopped taking them (stop there).
    func stream(_ reply: String, includeUsage: Bool, out: Sink) -> Bool {
        guard out.json(chunk(index: nil, role: true, content: "", finish: false)) else { return false }
        let words = reply.split(separator: " ", omittingEmptySubsequences: false)
        for (position, word) in words.enumerated() where !(word.isEmpty && words.count == 1) {
            let piece = position == 0 ? String(word) : " " + word
            guard out.json(chunk(index: nil, role: false, content: piece, finish: false)) else { return false }
        }
        guard out.json(chunk(index: nil, role: false, content: nil, finish: true)) else { return false }
        if includeUsage {
            var json = header(object: "chat.completion.chunk")
            json.raw(#","choices":[],"#)
            appendUsage(&json)
            json.raw("}")
            return out.json(json.bytes)
        }
        return true
    }

    func usageMeta() -> [UInt8] {
        var json = JSONWriter()
        json.raw("{")
        appendUsage(&json)
        json.raw("}")
        return json.bytes
    }

    private func chunk(index: Int?, role: Bool, content: String?, finish: Bool) -> [UInt8] {
        var json = header(object: "chat.completion.chunk")
        json.raw(#","choices":["#)
        for choice in 0..<choices {
            if choice > 0 { json.raw(",") }
            json.raw(#"{"index":"#)
            json.number(choice)
            json.raw(#","delta":{"#)
            var needsComma = false
            if role { json.raw(#""role":"assistant""#); needsComma = true }
            if let content {
                if needsComma { json.raw(",") }
                json.raw(#""content":"#)
                json.string(content)
            }
            json.raw(#"},"logprobs":null,"finish_reason":"#)
            if finish { json.raw(#""stop""#) } else { json.raw("null") }
            json.raw("}")
        }
        json.raw("]}")
        return json.bytes
    }

    private func header(object: StaticString) -> JSONWriter {
        var json = JSONWriter(capacity: 256)
        json.raw(#"{"id":"#)
        json.string(id)
        json.raw(#","object":""#)
        json.raw(object)
        json.raw(#"","created":"#)
        json.number(created)
        json.raw(#","model":"#)
        json.string(model)
        json.raw(#","system_fingerprint":null"#)
        return json
    }

    private func appendUsage(_ json: inout JSONWriter) {
        json.raw(#""usage":{"prompt_tokens":"#)
        json.number(usage.prompt)
        json.raw(#","completion_tokens":"#)
        json.number(usage.completion)
        json.raw(#","total_tokens":"#)
        json.number(usage.prompt + usage.completion)
        json.raw("}")
    }
}
