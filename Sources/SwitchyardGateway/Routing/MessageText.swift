import SwitchyardJSON

/// The text content routing matches: the last user message, in any ingress format (decision
/// 0019: the latest turn is what the client is asking now; system prompts and earlier turns
/// would route every request of a conversation the same way).
enum MessageText {
    /// Chat completions and Anthropic messages: the last `messages` item with role `user`;
    /// Responses: `input` when it is a string, else its last user item. A string content is
    /// the text; an array's text parts are joined with newlines. Empty when there is none.
    static func lastUserText(_ inputs: RoutingInputs) -> [UInt8] {
        let key = inputs.operation == .responses ? "input" : "messages"
        return inputs.body.withUnsafeBytes { raw -> [UInt8] in
            guard let scan = try? TopLevelScan(raw), let range = scan.range(of: key) else { return [] }
            var reader = JSONReader(UnsafeRawBufferPointer(rebasing: raw[range]))
            guard let value = try? reader.readValue() else { return [] }
            if case .string(let text) = value { return Array(text.utf8) }
            guard let items = value.arrayValue,
                  let last = items.last(where: { $0["role"]?.stringValue == "user" }) else { return [] }
            return text(of: last["content"])
        }
    }

    private static func text(of content: JSONValue?) -> [UInt8] {
        switch content {
        case .string(let text)?:
            return Array(text.utf8)
        case .array(let parts)?:
            var joined: [UInt8] = []
            for part in parts {
                guard let text = part["text"]?.stringValue else { continue }
                if !joined.isEmpty { joined.append(UInt8(ascii: "\n")) }
                joined += text.utf8
            }
            return joined
        default:
            return []
        }
    }
}
