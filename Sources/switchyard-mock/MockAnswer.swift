/// What the mock answers, whatever the wire format: "mock: " + the last user text, or a call of
/// the first offered tool with `{"city":"Paris"}` when that text mentions the weather (or
/// `x-mock-tool-call: 1`). Token counts are word counts. Each format reads its request into a
/// `Question` and renders the `MockAnswer` in its own shape, so every format answers alike.
struct MockAnswer {
    /// What a request asks, in format-neutral terms.
    struct Question {
        /// The text of the last user turn that has text (tool results are not user text).
        var lastUserText = ""
        /// Words in everything the request sends: system text, every turn, tool results.
        var promptWords = 0
        /// The first tool the request offers, if it offers any.
        var firstTool: String?
        var toolsOffered = false
        /// The format's output limit (`max_tokens`, `maxOutputTokens`, `max_output_tokens`).
        var maxTokens: Int?
        var stopSequences: [String] = []
    }

    /// Why the answer ended, in neutral terms; each format names it its own way.
    enum Stop: Equatable {
        case endTurn
        case toolUse
        case maxTokens
        case stopSequence(String)
    }

    static let toolArguments = #"{"city":"Paris"}"#
    /// What a tool call costs in output tokens (the chat path has always said 8).
    static let toolCallTokens = 8

    /// The answer's text, cut by the limits; empty for a tool call.
    let text: String
    /// The tool called, when the answer is a tool call.
    let toolName: String?
    /// Visible reasoning before the answer (`x-mock-thinking: 1`), else nil.
    let thinking: String?
    let stop: Stop
    /// All input tokens, cached ones included.
    let promptTokens: Int
    /// Output tokens of the answer proper (text words, or `toolCallTokens`).
    let answerTokens: Int
    /// Output tokens spent on `thinking`.
    let thinkingTokens: Int
    /// Input tokens reported as read from a prompt cache (`x-mock-cache-read`), ≤ promptTokens.
    let cacheReadTokens: Int
    /// Input tokens reported as written to a prompt cache (`x-mock-cache-write`), ≤ what is left.
    let cacheWriteTokens: Int

    init(_ question: Question, knobs: MockKnobs) {
        promptTokens = max(1, question.promptWords)
        cacheReadTokens = min(knobs.cacheReadTokens, promptTokens)
        cacheWriteTokens = min(knobs.cacheWriteTokens, promptTokens - cacheReadTokens)
        let last = question.lastUserText
        if knobs.thinking {
            let reasoning = "The user said: " + last
            thinking = reasoning
            thinkingTokens = Self.words(reasoning)
        } else {
            thinking = nil
            thinkingTokens = 0
        }
        if Self.callsTool(lastUserText: last, toolsOffered: question.toolsOffered, force: knobs.forceToolCall) {
            toolName = question.firstTool ?? "get_weather"
            text = ""
            stop = .toolUse
            answerTokens = Self.toolCallTokens
            return
        }
        toolName = nil
        var full = Substring("mock: " + last)
        var stop = Stop.endTurn
        if let (cut, sequence) = Self.earliest(of: question.stopSequences, in: full) {
            full = Self.droppingTrailingSpaces(full[..<cut])
            stop = .stopSequence(sequence)
        }
        let pieces = Self.pieces(of: full)
        if let limit = question.maxTokens, pieces.count > limit {
            full = pieces.prefix(max(0, limit)).reduce(into: Substring()) { $0 += $1 }
            stop = .maxTokens
        }
        text = String(full)
        self.stop = stop
        answerTokens = min(pieces.count, question.maxTokens.map { max(0, $0) } ?? .max)
    }

    /// All output tokens: the answer and the reasoning.
    var outputTokens: Int { answerTokens + thinkingTokens }

    /// A signature for `thinking`, as opaque as Anthropic's and stable for the same text.
    var thinkingSignature: String { "mocksig-" + String(MockEmbedding.hash(thinking ?? ""), radix: 16) }

    /// The chat path's rule, shared: a tool is called when tools are offered and the user asks
    /// about the weather, or when forced.
    static func callsTool(lastUserText: String, toolsOffered: Bool, force: Bool) -> Bool {
        force || (toolsOffered && lastUserText.lowercased().contains("weather"))
    }

    /// Runs of non-space bytes, counted without splitting the string.
    static func words(_ text: String) -> Int {
        var count = 0
        var inWord = false
        for byte in text.utf8 {
            let space = byte == UInt8(ascii: " ")
            if !space && !inWord { count += 1 }
            inWord = !space
        }
        return count
    }

    /// The text in stream-sized pieces, one per word, each carrying the spaces before its word
    /// (the last also the spaces after), so the pieces concatenate to exactly `text`.
    static func pieces(of text: Substring) -> [Substring] {
        var pieces: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        var inWord = false
        while index < text.endIndex {
            let space = text[index] == " "
            if space && inWord {
                pieces.append(text[start..<index])
                start = index
            }
            inWord = !space
            index = text.index(after: index)
        }
        if start < text.endIndex {
            if pieces.isEmpty || inWord { pieces.append(text[start...]) } else { pieces[pieces.count - 1] += text[start...] }
        }
        return pieces
    }

    func pieces(chunks: Int?) -> [Substring] {
        if let chunks { return Array(repeating: "lorem ", count: chunks) }
        return Self.pieces(of: Substring(text))
    }

    private static func earliest(of sequences: [String], in text: Substring) -> (String.Index, String)? {
        var best: (String.Index, String)?
        for sequence in sequences where !sequence.isEmpty {
            if let range = text.firstRange(of: sequence), best.map({ range.lowerBound < $0.0 }) ?? true {
                best = (range.lowerBound, sequence)
            }
        }
        return best
    }

    private static func droppingTrailingSpaces(_ text: Substring) -> Substring {
        var text = text
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
