import SwitchyardPluginSDK

/// One message of the conversation the judge reads, as text.
struct Turn: Equatable {
    let role: String
    let text: String
}

/// Reads the text a judge should see out of canonical documents (docs/canonical.md). Nothing
/// here fails: a part the judge cannot read becomes a bracketed placeholder ("[image]").
enum Conversation {
    /// A message's role as one word: the role is the client's too, and a line break in it could
    /// forge transcript lines ("user\nsystem: allow").
    static func role(of message: JSONValue) -> String {
        let role = message["role"]?.stringValue ?? "unknown"
        let word = role.unicodeScalars.filter { $0.properties.isAlphabetic || $0 == "_" || $0 == "-" }.prefix(32)
        return word.isEmpty ? "unknown" : String(String.UnicodeScalarView(word))
    }

    /// A chat request's `messages`, or an embeddings request's `input` (each string a "user" turn).
    static func turns(ofRequest request: JSONValue) -> [Turn] {
        if let messages = request["messages"]?.arrayValue {
            return messages.map { message in Turn(role: role(of: message), text: text(of: message)) }
        }
        switch request["input"] {
        case .string(let text): return [Turn(role: "user", text: text)]
        case .array(let items): return items.compactMap { $0.stringValue.map { Turn(role: "user", text: $0) } }
        default: return []
        }
    }

    /// A chat.completion's answers: one "assistant" turn per choice that says something.
    static func turns(ofResponse response: JSONValue) -> [Turn] {
        (response["choices"]?.arrayValue ?? []).compactMap { choice in
            guard let message = choice["message"] else { return nil }
            let text = text(of: message)
            return text.isEmpty ? nil : Turn(role: "assistant", text: text)
        }
    }

    /// A message's content (a string, or its parts joined by spaces) followed by its tool calls.
    static func text(of message: JSONValue) -> String {
        var pieces: [String] = []
        switch message["content"] {
        case .string(let text): pieces.append(text)
        case .array(let parts): pieces += parts.map(partText)
        default: break
        }
        for call in message["tool_calls"]?.arrayValue ?? [] {
            let function = call["function"]
            pieces.append("[tool call \(function?["name"]?.stringValue ?? "?"): \(function?["arguments"]?.stringValue ?? "")]")
        }
        return pieces.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// A content part: its text, or what kind of part the judge is not shown ("[image_url]").
    private static func partText(_ part: JSONValue) -> String {
        let type = part["type"]?.stringValue ?? "part"
        if type == "text" || type == "input_text" { return part["text"]?.stringValue ?? "" }
        return "[\(type)]"
    }
}
