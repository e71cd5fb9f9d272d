import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins

/// Shared setup for the AnthropicProvider*Tests suites: a keyless instance of the built plugin,
/// and small readers for what it produced.
extension ProviderHarness {
    static func anthropic(_ extra: [(String, JSONValue)] = []) throws -> ProviderHarness {
        var config = JSONObject([(key: "base_url", value: "http://127.0.0.1:9/v1"), (key: "api_key_env", value: nil)])
        for (key, value) in extra { config[key] = value }
        return try ProviderHarness(product: "ProviderAnthropic", config: .object(config))
    }

    /// The Anthropic body `prepare` builds for a canonical chat request.
    func anthropicBody(_ canonical: JSONValue, _ call: CallDescription = call()) throws -> JSONValue {
        switch prepare(canonical, call) {
        case .success(let request): return try JSONValue.parse(request.body)
        case .failure(let failure): throw failure
        }
    }

    /// The failure `prepare` reports for a canonical request it must refuse.
    func refusal(_ canonical: JSONValue, _ call: CallDescription = call()) -> PluginFailure? {
        if case .failure(let failure) = prepare(canonical, call) { return failure }
        return nil
    }

    static func chat(_ messages: [JSONValue] = [["role": "user", "content": "Hello"]], fields: [(String, JSONValue)] = []) -> JSONValue {
        var object: [(key: String, value: JSONValue)] = [(key: "model", value: "claude-sonnet-4-5"), (key: "messages", value: .array(messages))]
        object += fields.map { (key: $0.0, value: $0.1) }
        return .object(JSONObject(object))
    }
}

extension UpstreamRequestBuilder {
    func header(_ name: String) -> String? {
        headers.first(where: { $0.name.lowercased() == name.lowercased() })?.value
    }
}

/// Server-sent events as Anthropic writes them: `event: <type>`, `data: <json>`, a blank line.
func anthropicEvents(_ events: [String]) -> [UInt8] {
    var text = ""
    for data in events {
        let type = (try? JSONValue.parse(data))?["type"]?.stringValue ?? "unknown"
        text += "event: \(type)\ndata: \(data)\n\n"
    }
    return Array(text.utf8)
}

extension Transcript {
    /// The deltas of the chunks that have choices, in order.
    var deltas: [JSONValue] { json.compactMap { $0["choices"]?[0]?["delta"] } }

    /// All `content` fragments joined.
    var streamedContent: String { deltas.compactMap { $0["content"]?.stringValue }.joined() }

    /// Tool call arguments joined per tool call index.
    var streamedArguments: [Int: String] {
        var arguments: [Int: String] = [:]
        for delta in deltas {
            for call in delta["tool_calls"]?.arrayValue ?? [] {
                guard let index = call["index"]?.intValue else { continue }
                arguments[index, default: ""] += call["function"]?["arguments"]?.stringValue ?? ""
            }
        }
        return arguments
    }

    var finishReasons: [String] { json.compactMap { $0["choices"]?[0]?["finish_reason"]?.stringValue } }
}
