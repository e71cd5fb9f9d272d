import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// Shared set-up for the GeminiProvider*Tests suites: a keyless instance pointed at a closed
/// local port (nothing is sent: the harness drives prepare and the transformer directly).
enum GeminiFixtures {
    static let base = "http://127.0.0.1:9/v1beta"

    static func harness() throws -> ProviderHarness {
        try ProviderHarness(product: "ProviderGemini", config: ["base_url": .string(base), "api_key_env": nil])
    }

    static func chat(_ messages: JSONValue, _ extra: [(String, JSONValue)] = []) -> JSONValue {
        var object = JSONObject([(key: "model", value: "gemini-2.5-flash"), (key: "messages", value: messages)])
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    static let hello: JSONValue = [["role": "user", "content": "hi"]]
}

extension ProviderHarness {
    /// The JSON body of the upstream request `prepare` builds (the test fails on a rejection).
    func geminiBody(_ body: JSONValue, _ call: CallDescription = ProviderHarness.call(model: "gemini-2.5-flash")) throws -> JSONValue {
        let request = try prepare(body, call).get()
        return try JSONValue.parse(request.body)
    }

    /// The failure `prepare` reports for `body`, or nil when it was accepted.
    func geminiRejection(_ body: JSONValue, _ call: CallDescription = ProviderHarness.call(model: "gemini-2.5-flash")) -> PluginFailure? {
        if case .failure(let failure) = prepare(body, call) { return failure }
        return nil
    }

    func respond(_ call: CallDescription, status: Int = 200, text: String, chunkSize: Int = .max) -> Transcript {
        respond(call, status: status, body: Array(text.utf8), chunkSize: chunkSize)
    }
}
