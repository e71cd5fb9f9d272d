import SwitchyardPluginSDK

/// Answers every chat completion with the last user message, in-process and deterministically:
/// the embedded default config works with no API key and no network. Streams word by word.
final class EchoProvider: LocalProvider {
    let prefix: String
    let host: PluginHost

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        guard let object = config.objectValue else { throw .config("config must be an object") }
        for key in object.keys where key != "prefix" {
            throw .config("unknown config key \"\(key)\" (known: prefix)")
        }
        if let prefix = object["prefix"], prefix.stringValue == nil { throw .config("prefix must be a string") }
        self.prefix = object["prefix"]?.stringValue ?? ""
        self.host = host
    }

    func generate(_ call: CallInfo, request: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        let conversation = try EchoConversation(request)
        let reply = prefix + conversation.lastUserText
        let response = EchoResponse(
            id: "chatcmpl-echo-" + call.requestID,
            model: call.upstreamModel,
            created: Int(host.unixNanoseconds() / 1_000_000_000),
            choices: conversation.choices,
            usage: EchoUsage(prompt: conversation.promptWords, completion: wordCount(reply))
        )
        // A write the host did not take (the client left: SY_E_CANCELLED; refused bytes) ends
        // the call: stop and say so, as the header asks, instead of returning SY_OK.
        let written = call.stream ? response.stream(reply, includeUsage: conversation.includeUsage, out: out) : out.json(response.completion(reply))
        guard written, out.meta(response.usageMeta()) else { throw PluginError(SY_E_CANCELLED, "the host took no more output (the client left)") }
    }
}

/// The parts of the canonical request the echo needs.
struct EchoConversation {
    let lastUserText: String
    let promptWords: Int
    let choices: Int
    let includeUsage: Bool

    init(_ request: UnsafeRawBufferPointer) throws(PluginError) {
        let body: JSONValue
        do { body = try JSONValue.parse(request) } catch { throw .invalid("request is not valid JSON: \(error)") }
        guard let messages = body["messages"]?.arrayValue, !messages.isEmpty else {
            throw .invalid("messages must be a non-empty array")
        }
        var last = ""
        var words = 0
        for message in messages {
            let text = Self.text(of: message["content"])
            words += wordCount(text)
            if message["role"]?.stringValue == "user" { last = text }
        }
        lastUserText = last
        promptWords = words
        choices = max(1, body["n"]?.intValue ?? 1)
        includeUsage = body["stream_options"]?["include_usage"]?.boolValue ?? false
    }

    /// A message's text: the string itself, or its text parts joined (images are skipped).
    static func text(of content: JSONValue?) -> String {
        if let text = content?.stringValue { return text }
        let parts = content?.arrayValue ?? []
        return parts.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.joined(separator: " ")
    }
}

struct EchoUsage {
    let prompt: Int
    let completion: Int
}

func wordCount(_ text: String) -> Int {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).count
}
