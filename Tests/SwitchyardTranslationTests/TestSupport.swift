import SwitchyardJSON
import Testing
@testable import SwitchyardTranslation

/// Parses JSON text written in a test; a typo in a fixture fails the test, not the process.
func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue {
    do { return try JSONValue.parse(text) } catch {
        Issue.record("fixture is not JSON: \(error)", sourceLocation: sourceLocation)
        return .null
    }
}

/// One emitted stream event, copied out of the translator's reused buffer.
struct RecordedEvent: Equatable, CustomStringConvertible {
    let name: String
    let data: JSONValue
    var description: String { "\(name) \(data.jsonText)" }
}

/// Collects events from a stream translator's sink.
final class EventRecorder {
    var events: [RecordedEvent] = []

    func record(_ name: StaticString, _ data: UnsafeRawBufferPointer) {
        let value = (try? JSONValue.parse(data)) ?? .string("NOT JSON: " + String(decoding: data, as: UTF8.self))
        events.append(RecordedEvent(name: name.description, data: value))
    }

    var names: [String] { events.map(\.name) }
    func named(_ name: String) -> [JSONValue] { events.filter { $0.name == name }.map(\.data) }
}

/// Canonical chunks, as a provider following docs/canonical.md writes them.
enum Chunks {
    static func delta(_ delta: String, id: String = "chatcmpl-abc", finish: String? = nil) -> JSONValue {
        let reason = finish.map { "\"\($0)\"" } ?? "null"
        return json(#"{"id":"\#(id)","object":"chat.completion.chunk","created":1700000000,"model":"gpt-test","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(reason)}]}"#)
    }

    static func finish(_ reason: String) -> JSONValue { delta("{}", finish: reason) }

    static func usage(prompt: Int, completion: Int, cached: Int = 0, cacheCreation: Int = 0, reasoning: Int = 0) -> JSONValue {
        json(#"""
        {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,"model":"gpt-test","choices":[],
         "usage":{"prompt_tokens":\#(prompt),"completion_tokens":\#(completion),"total_tokens":\#(prompt + completion),
         "prompt_tokens_details":{"cached_tokens":\#(cached),"cache_creation_tokens":\#(cacheCreation)},
         "completion_tokens_details":{"reasoning_tokens":\#(reasoning)}}}
        """#)
    }

    /// A stream with reasoning (and its signature), text, two parallel tool calls with
    /// fragmented arguments, the finish_reason chunk and the usage chunk.
    static let reasoningTextAndTwoToolCalls: [JSONValue] = [
        delta(#"{"role":"assistant","content":""}"#),
        delta(#"{"reasoning_content":"Need the "}"#),
        delta(#"{"reasoning_content":"weather."}"#),
        delta(#"{"reasoning_signature":"sig-1"}"#),
        delta(#"{"content":"Checking "}"#),
        delta(#"{"content":"both."}"#),
        delta(#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"weather","arguments":""}}]}"#),
        delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"#),
        delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}"#),
        delta(#"{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"weather","arguments":""}}]}"#),
        delta(#"{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":\"Rome\"}"}}]}"#),
        finish("tool_calls"),
        usage(prompt: 100, completion: 40, cached: 30, cacheCreation: 10, reasoning: 12),
    ]

    /// The whole completion that the stream above adds up to.
    static let reasoningTextAndTwoToolCallsWhole = json(#"""
    {"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"gpt-test",
     "choices":[{"index":0,"message":{"role":"assistant","content":"Checking both.","reasoning_content":"Need the weather.",
       "reasoning_signature":"sig-1","tool_calls":[
         {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},
         {"id":"call_2","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Rome\"}"}}]},
       "finish_reason":"tool_calls"}],
     "usage":{"prompt_tokens":100,"completion_tokens":40,"total_tokens":140,
       "prompt_tokens_details":{"cached_tokens":30,"cache_creation_tokens":10},"completion_tokens_details":{"reasoning_tokens":12}}}
    """#)
}

/// The message a translation error carries, or nil when the call succeeded.
func rejection(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> TranslationError? {
    do {
        try body()
        return nil
    } catch let error as TranslationError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
