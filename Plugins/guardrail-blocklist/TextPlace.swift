import SwitchyardPluginSDK

/// Where one inspected text lives in the canonical document: its JSON Pointer (for a redacting
/// patch) and how a rejection names it without echoing the text.
enum TextPlace: Equatable {
    /// `messages[i].content` as a string.
    case messageContent(message: Int)
    /// `messages[i].content[j].text`, a text part.
    case messagePart(message: Int, part: Int)
    /// An embeddings `input`: the string itself (nil) or one string of an array.
    case input(index: Int?)
    /// `choices[i].message.content` of a whole response (a string, or text parts).
    case choiceContent(choice: Int)
    case choicePart(choice: Int, part: Int)
    /// `choices[i].delta.content` of a stream chunk; `index` is the choice's own `index` field.
    case deltaContent(choice: Int, index: Int)

    var pointer: String {
        switch self {
        case .messageContent(let message): "/messages/\(message)/content"
        case .messagePart(let message, let part): "/messages/\(message)/content/\(part)/text"
        case .input(nil): "/input"
        case .input(let index?): "/input/\(index)"
        case .choiceContent(let choice): "/choices/\(choice)/message/content"
        case .choicePart(let choice, let part): "/choices/\(choice)/message/content/\(part)/text"
        case .deltaContent(let choice, _): "/choices/\(choice)/delta/content"
        }
    }

    /// For the client: which message, input or choice holds a blocked term (never the term).
    var rejection: String {
        switch self {
        case .messageContent(let message), .messagePart(let message, _): "message \(message) contains a blocked term"
        case .input(nil): "the input contains a blocked term"
        case .input(let index?): "input \(index) contains a blocked term"
        case .choiceContent(let choice), .choicePart(let choice, _): "the response (choice \(choice)) contains a blocked term"
        case .deltaContent(_, let index): "the response (choice \(index)) contains a blocked term"
        }
    }
}

/// The texts a phase inspects, in document order.
enum InspectedTexts {
    /// Request: every message's string content and text parts (all roles), and an embeddings
    /// body's `input` (a string or an array of strings; token arrays carry no text).
    static func request(_ body: JSONValue) -> [(TextPlace, String)] {
        var texts: [(TextPlace, String)] = []
        for (index, message) in (body["messages"]?.arrayValue ?? []).enumerated() {
            collect(message["content"], whole: .messageContent(message: index), part: { .messagePart(message: index, part: $0) }, into: &texts)
        }
        switch body["input"] {
        case .string(let text)?:
            texts.append((.input(index: nil), text))
        case .array(let items)?:
            for (index, item) in items.enumerated() {
                if let text = item.stringValue { texts.append((.input(index: index), text)) }
            }
        default:
            break
        }
        return texts
    }

    /// Response: each choice's `message.content` (null content, e.g. tool calls only, is skipped).
    static func response(_ body: JSONValue) -> [(TextPlace, String)] {
        var texts: [(TextPlace, String)] = []
        for (index, choice) in (body["choices"]?.arrayValue ?? []).enumerated() {
            collect(choice["message"]?["content"], whole: .choiceContent(choice: index), part: { .choicePart(choice: index, part: $0) }, into: &texts)
        }
        return texts
    }

    /// Chunk: the one choice's `delta.content` (the text window), when it is a string.
    static func chunk(_ body: JSONValue) -> (TextPlace, String)? {
        guard let choice = body["choices"]?[0], let text = choice["delta"]?["content"]?.stringValue else { return nil }
        return (.deltaContent(choice: 0, index: choice["index"]?.intValue ?? 0), text)
    }

    private static func collect(_ content: JSONValue?, whole: TextPlace, part: (Int) -> TextPlace, into texts: inout [(TextPlace, String)]) {
        switch content {
        case .string(let text)?:
            texts.append((whole, text))
        case .array(let parts)?:
            for (index, item) in parts.enumerated() where item["type"]?.stringValue == "text" {
                if let text = item["text"]?.stringValue { texts.append((part(index), text)) }
            }
        default:
            break
        }
    }
}
