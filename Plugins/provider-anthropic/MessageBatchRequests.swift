import SwitchyardPluginSDK

/// One OpenAI batch input line → one request of a Message Batch: `{"custom_id", "params"}`,
/// `params` being the Messages body this provider's chat translation makes of the line's body.
enum MessageBatchRequests {
    /// The only endpoint an Anthropic batch can run: Message Batches hold Messages requests.
    static let chatCompletionsURL = "/v1/chat/completions"

    static func request(_ line: UnsafeRawBufferPointer, defaultMaxTokens: Int) throws(PluginError) -> [UInt8] {
        let input: JSONValue
        do { input = try JSONValue.parse(line) } catch { throw .invalid("the batch input line is not valid JSON: \(error)") }
        guard input.objectValue != nil else { throw .invalid("the batch input line is not a JSON object") }
        guard let customID = input["custom_id"]?.stringValue else { throw .invalid("custom_id must be a string") }
        guard isCustomID(customID) else {
            throw .invalid("custom_id \"\(customID)\" does not fit Anthropic's batches: 1 to 64 letters, digits, '_' or '-' (^[a-zA-Z0-9_-]{1,64}$)")
        }
        if let method = input["method"], method.stringValue != "POST" {
            throw .invalid("method must be POST (got \(method.jsonText))")
        }
        guard let url = input["url"]?.stringValue else { throw .invalid("url must be a string") }
        guard url == chatCompletionsURL else {
            throw .unsupported("url \"\(url)\" cannot run in an Anthropic batch: only \(chatCompletionsURL) can")
        }
        guard let body = input["body"] else { throw .invalid("body is missing") }
        let params = try ChatRequestTranslation.anthropicBody(body, for: .generate(stream: false, defaultMaxTokens: defaultMaxTokens))
        return JSONValue.object(JSONObject([("custom_id", .string(customID)), ("params", params)])).serialized()
    }

    /// Anthropic's `^[a-zA-Z0-9_-]{1,64}$`.
    static func isCustomID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy(isIDByte)
    }

    /// Anthropic's batch ids (`msgbatch_…`) are letters, digits, '_' and '-': anything else
    /// would change the URL it is put in.
    static func isBatchID(_ id: String) -> Bool {
        (1...256).contains(id.utf8.count) && id.utf8.allSatisfy(isIDByte)
    }

    private static func isIDByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}
