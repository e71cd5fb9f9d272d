import SwitchyardPluginSDK

/// What the judge decided, read from its answer text (the first choice's `message.content`).
/// The first form that reads wins:
///  1. the whole answer is a JSON object with a boolean `allow` (and an optional string `reason`);
///  2. the first ``` fenced block (any info string, e.g. ```json) is such an object;
///  3. the leading word, case-insensitive, optionally in Markdown emphasis or quotes: `ALLOW`, or
///     `BLOCK` with the rest of the answer as the reason ("BLOCK: asks for malware"). The word
///     must end the answer or be followed by a space or one of `.:=,;!-—)`. Ambiguity never
///     reads as allow: `allow: false` (a key-value answer) blocks, and `BLOCK ...` always blocks.
/// Anything else is not an answer (`nil`): the caller treats it as the judge failing, never as
/// allow.
enum JudgeDecision: Equatable {
    case allow
    /// `reason` as the judge gave it ("" when it gave none).
    case block(reason: String)

    init?(answer: String) {
        let text = trimmed(answer[...])
        guard let decision = Self.object(text) ?? Self.fencedBlock(text).flatMap(Self.object) ?? Self.leadingWord(text) else { return nil }
        self = decision
    }

    private static func object(_ text: Substring) -> JudgeDecision? {
        guard text.first == "{", let value = try? JSONValue.parse(String(text)), let allow = value["allow"]?.boolValue else { return nil }
        return allow ? .allow : .block(reason: value["reason"]?.stringValue ?? "")
    }

    /// The content of the first fenced block, without its info string; to the end when unclosed.
    private static func fencedBlock(_ text: Substring) -> Substring? {
        guard let open = text.firstRange(of: "```") else { return nil }
        let body = text[open.upperBound...].drop(while: \.isLetter)
        let close = body.firstRange(of: "```")?.lowerBound ?? body.endIndex
        return trimmed(body[..<close])
    }

    private static func leadingWord(_ text: Substring) -> JudgeDecision? {
        let start = text.drop(while: { decoration.contains($0) || $0.isWhitespace })
        let word = start.prefix(while: { $0.isASCII && $0.isLetter })
        let allows: Bool
        switch word.lowercased() {
        case "allow": allows = true
        case "block": allows = false
        default: return nil
        }
        var rest = start[word.endIndex...]
        if let next = rest.first, !next.isWhitespace, !separators.contains(next), !decoration.contains(next) { return nil }
        rest = rest.drop(while: { decoration.contains($0) || separators.contains($0) || $0.isWhitespace })
        while let last = rest.last, decoration.contains(last) || last.isWhitespace { rest = rest.dropLast() }
        // `allow: false` is a key-value answer that says block; when in doubt, never allow.
        if allows, rest.prefix(while: \.isLetter).lowercased() != "false" { return .allow }
        return .block(reason: allows ? "" : String(rest))
    }

    /// Markup a model may wrap its word in: **BLOCK**, `ALLOW`, "ALLOW", # ALLOW.
    private static let decoration: Set<Character> = ["*", "_", "`", "\"", "'", "#", ">"]
    /// What may follow the word, and comes off the front of a reason.
    private static let separators: Set<Character> = [".", ":", "=", ",", ";", "!", "-", "—", "–", ")"]
}

private func trimmed(_ text: Substring) -> Substring {
    var text = text.drop(while: \.isWhitespace)
    while let last = text.last, last.isWhitespace { text = text.dropLast() }
    return text
}
