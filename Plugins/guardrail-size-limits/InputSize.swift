import SwitchyardPluginSDK

/// How big a request's input is, measured in one pass over the parsed body.
///
/// Text is what the model reads: a message's string content, its text parts, and the function
/// name and arguments of an assistant's tool calls; an embeddings `input` string or strings.
/// Images, audio and tool definitions are not counted.
///  - characters: Unicode scalars of that text.
///  - estimated tokens: ceil(UTF-8 bytes / 4) per text, plus 4 per chat message (role and
///    framing); an embeddings input given as token ids counts its ids exactly.
struct InputSize {
    static let tokensPerMessage = 4

    private(set) var messages = 0
    private(set) var characters = 0
    private(set) var estimatedTokens = 0

    init(request body: JSONValue) {
        if let messages = body["messages"]?.arrayValue {
            self.messages = messages.count
            for message in messages {
                estimatedTokens += Self.tokensPerMessage
                addContent(message["content"])
                for call in message["tool_calls"]?.arrayValue ?? [] {
                    add(call["function"]?["name"])
                    add(call["function"]?["arguments"])
                }
            }
        }
        switch body["input"] {
        case .string(let text)?:
            add(text)
        case .array(let items)?:
            for item in items {
                switch item {
                case .string(let text): add(text)
                case .number: estimatedTokens += 1  // one token id of a flat id array
                case .array(let ids): estimatedTokens += ids.count
                default: break
                }
            }
        default:
            break
        }
    }

    private mutating func addContent(_ content: JSONValue?) {
        switch content {
        case .string(let text)?:
            add(text)
        case .array(let parts)?:
            for part in parts where part["type"]?.stringValue == "text" { add(part["text"]) }
        default:
            break
        }
    }

    private mutating func add(_ value: JSONValue?) {
        if let text = value?.stringValue { add(text) }
    }

    private mutating func add(_ text: String) {
        let bytes = text.utf8.count
        // A scalar is one UTF-8 lead byte plus continuation bytes (10xxxxxx).
        characters += text.utf8.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        estimatedTokens += (bytes + 3) / 4
    }
}
