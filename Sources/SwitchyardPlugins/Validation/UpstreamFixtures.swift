import SwitchyardJSON

/// An upstream answer the validator feeds a provider's response transformer: the HTTP status,
/// its content type and body, as the upstream would send them.
public struct UpstreamFixture: Sendable, Equatable {
    public enum Purpose: String, Sendable {
        /// A successful chat completion (`stream` says whether it is an event stream).
        case chat
        /// A successful embeddings answer.
        case embeddings
        /// An upstream error: the provider must answer SY_E_UPSTREAM with an error write.
        case error
    }

    public var name: String
    public var purpose: Purpose
    public var stream: Bool
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(name: String, purpose: Purpose, stream: Bool = false, status: Int = 200, contentType: String = "application/json", body: String) {
        self.name = name
        self.purpose = purpose
        self.stream = stream
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
    }

    /// The same answer with another body (the malformed-input checks feed a fixture's framing
    /// with bytes of their own).
    public func with(body: [UInt8], name: String) -> UpstreamFixture {
        var copy = self
        copy.body = body
        copy.name = name
        return copy
    }

    /// A fixture of the plugin's own (`--fixture FILE`): a JSON object
    /// `{"name":"...","purpose":"chat"|"embeddings"|"error","stream":false,"status":200,
    /// "content_type":"application/json","body":"<the body, as a string>"}`; only `body` is
    /// required (the name defaults to the file's, purpose to chat, status to 200).
    public static func parse(fileNamed file: String, _ text: String) throws(FixtureError) -> UpstreamFixture {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw FixtureError("\(file): not JSON (\(error))") }
        guard json.objectValue != nil else { throw FixtureError("\(file): a fixture is a JSON object") }
        guard let body = json["body"]?.stringValue else { throw FixtureError("\(file): \"body\" (a string) is required") }
        var purpose = Purpose.chat
        if let value = json["purpose"] {
            guard let name = value.stringValue, let known = Purpose(rawValue: name) else {
                throw FixtureError("\(file): \"purpose\" must be \"chat\", \"embeddings\" or \"error\"")
            }
            purpose = known
        }
        let status = json["status"].map { $0.intValue ?? -1 } ?? (purpose == .error ? 500 : 200)
        guard (100...599).contains(status) else { throw FixtureError("\(file): \"status\" must be an HTTP status (100-599)") }
        if let stream = json["stream"], stream.boolValue == nil { throw FixtureError("\(file): \"stream\" must be true or false") }
        let stream = json["stream"]?.boolValue ?? false
        let name = json["name"]?.stringValue ?? file
        let contentType = json["content_type"]?.stringValue ?? (stream ? "text/event-stream" : "application/json")
        return UpstreamFixture(name: name, purpose: purpose, stream: stream, status: status, contentType: contentType, body: body)
    }

    public struct FixtureError: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

/// The upstream answers every provider is tried with: OpenAI, Anthropic Messages and Gemini, as
/// JSON and as event streams, plus embeddings and three errors. A provider speaks one of these
/// formats (or its own, given with `--fixture`): at least one answer must give content, and the
/// others must fail cleanly. Built in, so a plugin can be validated with no upstream at all.
public enum UpstreamFixtures {
    /// The text every successful chat fixture carries.
    public static let text = "Hello from the fixture."

    public static let all: [UpstreamFixture] = chat + embeddings + errors

    public static let chat: [UpstreamFixture] = [
        UpstreamFixture(name: "openai.json", purpose: .chat, body: """
            {"id":"chatcmpl-validator","object":"chat.completion","created":1700000000,"model":"validator-model",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the fixture."},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}}
            """),
        UpstreamFixture(name: "openai.sse", purpose: .chat, stream: true, contentType: "text/event-stream", body: sse([
            #"{"id":"chatcmpl-validator","object":"chat.completion.chunk","created":1700000000,"model":"validator-model","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            #"{"id":"chatcmpl-validator","object":"chat.completion.chunk","created":1700000000,"model":"validator-model","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}"#,
            #"{"id":"chatcmpl-validator","object":"chat.completion.chunk","created":1700000000,"model":"validator-model","choices":[{"index":0,"delta":{"content":" from the fixture."},"finish_reason":null}]}"#,
            #"{"id":"chatcmpl-validator","object":"chat.completion.chunk","created":1700000000,"model":"validator-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            #"{"id":"chatcmpl-validator","object":"chat.completion.chunk","created":1700000000,"model":"validator-model","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}}"#,
            "[DONE]",
        ])),
        UpstreamFixture(name: "anthropic.json", purpose: .chat, body: """
            {"id":"msg_validator","type":"message","role":"assistant","model":"validator-model",\
            "content":[{"type":"text","text":"Hello from the fixture."}],"stop_reason":"end_turn","stop_sequence":null,\
            "usage":{"input_tokens":9,"output_tokens":5}}
            """),
        UpstreamFixture(name: "anthropic.sse", purpose: .chat, stream: true, contentType: "text/event-stream", body: [
            ("message_start", #"{"type":"message_start","message":{"id":"msg_validator","type":"message","role":"assistant","model":"validator-model","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":1}}}"#),
            ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
            ("ping", #"{"type":"ping"}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" from the fixture."}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
            ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ].map { "event: \($0.0)\ndata: \($0.1)\n\n" }.joined()),
        UpstreamFixture(name: "gemini.json", purpose: .chat, body: """
            {"candidates":[{"content":{"role":"model","parts":[{"text":"Hello from the fixture."}]},"finishReason":"STOP","index":0}],\
            "usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":5,"totalTokenCount":14},"modelVersion":"validator-model"}
            """),
        UpstreamFixture(name: "gemini.sse", purpose: .chat, stream: true, contentType: "text/event-stream", body: [
            #"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hello"}]},"index":0}],"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"validator-model"}"#,
            #"{"candidates":[{"content":{"role":"model","parts":[{"text":" from the fixture."}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":5,"totalTokenCount":14},"modelVersion":"validator-model"}"#,
        ].map { "data: \($0)\r\n\r\n" }.joined()),
    ]

    public static let embeddings: [UpstreamFixture] = [
        UpstreamFixture(name: "openai.embeddings", purpose: .embeddings, body: """
            {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5,0.75]}],\
            "model":"validator-model","usage":{"prompt_tokens":2,"total_tokens":2}}
            """),
        UpstreamFixture(name: "gemini.embeddings", purpose: .embeddings, body: #"{"embeddings":[{"values":[0.25,-0.5,0.75]}]}"#),
        UpstreamFixture(name: "gemini.embedding", purpose: .embeddings, body: #"{"embedding":{"values":[0.25,-0.5,0.75]}}"#),
    ]

    public static let errors: [UpstreamFixture] = [
        UpstreamFixture(name: "error.429", purpose: .error, status: 429, body: """
            {"error":{"message":"Rate limit reached for requests","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}
            """),
        UpstreamFixture(name: "error.500", purpose: .error, status: 500, body: """
            {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}
            """),
        UpstreamFixture(name: "error.502-html", purpose: .error, status: 502, contentType: "text/html",
                        body: "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n"),
    ]

    static func sse(_ events: [String]) -> String {
        events.map { "data: \($0)\n\n" }.joined()
    }
}
