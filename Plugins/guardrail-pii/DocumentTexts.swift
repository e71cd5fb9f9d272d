import SwitchyardPluginSDK

/// Where a text sits in the inspected document. Made for every text, but turned into a JSON
/// Pointer only for the few a patch rewrites.
enum TextLocation: Equatable {
    case messageContent(message: Int)
    case messagePart(message: Int, part: Int)
    case messageToolArguments(message: Int, call: Int)
    case input
    case inputItem(Int)
    case choiceContent(choice: Int)
    case choicePart(choice: Int, part: Int)
    case choiceToolArguments(choice: Int, call: Int)
    case deltaContent(choice: Int)

    /// RFC 6901 pointer into the canonical document.
    var pointer: String {
        switch self {
        case .messageContent(let message): "/messages/\(message)/content"
        case .messagePart(let message, let part): "/messages/\(message)/content/\(part)/text"
        case .messageToolArguments(let message, let call): "/messages/\(message)/tool_calls/\(call)/function/arguments"
        case .input: "/input"
        case .inputItem(let index): "/input/\(index)"
        case .choiceContent(let choice): "/choices/\(choice)/message/content"
        case .choicePart(let choice, let part): "/choices/\(choice)/message/content/\(part)/text"
        case .choiceToolArguments(let choice, let call): "/choices/\(choice)/message/tool_calls/\(call)/function/arguments"
        case .deltaContent(let choice): "/choices/\(choice)/delta/content"
        }
    }
}

/// The texts of a canonical document that the guardrail inspects, in document order.
enum DocumentTexts {
    typealias Visit = (TextLocation, String) throws(PluginError) -> Void

    /// A chat request: every message's string content, its text parts, and the arguments of
    /// the tool calls in its history (whatever the role: tool results are messages too). An
    /// embeddings request: `input`, a string or a list of strings (token arrays carry no text).
    static func request(_ body: JSONValue, _ visit: Visit) throws(PluginError) {
        if let messages = body["messages"]?.arrayValue {
            for (index, message) in messages.enumerated() {
                try content(message["content"], whole: .messageContent(message: index), part: { .messagePart(message: index, part: $0) }, visit)
                try toolArguments(message["tool_calls"], at: { .messageToolArguments(message: index, call: $0) }, visit)
            }
        }
        switch body["input"] {
        case .string(let text)?: try visit(.input, text)
        case .array(let items)?:
            for (index, item) in items.enumerated() {
                if case .string(let text) = item { try visit(.inputItem(index), text) }
            }
        default: break
        }
    }

    /// A chat completion: each choice's message content and tool-call arguments.
    static func response(_ body: JSONValue, _ visit: Visit) throws(PluginError) {
        for (index, choice) in (body["choices"]?.arrayValue ?? []).enumerated() {
            guard let message = choice["message"] else { continue }
            try content(message["content"], whole: .choiceContent(choice: index), part: { .choicePart(choice: index, part: $0) }, visit)
            try toolArguments(message["tool_calls"], at: { .choiceToolArguments(choice: index, call: $0) }, visit)
        }
    }

    /// A stream chunk's text window: the delta content of its one choice.
    static func chunkText(_ body: JSONValue) -> (TextLocation, String)? {
        guard let choices = body["choices"]?.arrayValue else { return nil }
        for (index, choice) in choices.enumerated() {
            if case .string(let text)? = choice["delta"]?["content"] { return (.deltaContent(choice: index), text) }
        }
        return nil
    }

    /// `content`: a string, or parts of which the `text` ones are inspected (null: nothing).
    private static func content(_ value: JSONValue?, whole: TextLocation, part: (Int) -> TextLocation, _ visit: Visit) throws(PluginError) {
        switch value {
        case .string(let text)?: try visit(whole, text)
        case .array(let parts)?:
            for (index, item) in parts.enumerated() where item["type"]?.stringValue == "text" {
                if case .string(let text)? = item["text"] { try visit(part(index), text) }
            }
        default: break
        }
    }

    private static func toolArguments(_ value: JSONValue?, at location: (Int) -> TextLocation, _ visit: Visit) throws(PluginError) {
        guard let calls = value?.arrayValue else { return }
        for (index, call) in calls.enumerated() {
            if case .string(let arguments)? = call["function"]?["arguments"] { try visit(location(index), arguments) }
        }
    }
}
