import SwitchyardJSON

/// A stream chunk that carries text, seen through the bytes the provider wrote: a canonical
/// `chat.completion.chunk` with one choice whose `delta.content` is a non-empty string. The
/// chunk-phase stages work on these without building a JSON tree: the text is read once, and a
/// window or released text is spliced in place of the content string (everything else of the
/// chunk stays the provider's bytes). Anything else goes the general way (`JSONObject`).
struct TextChunk {
    /// The chunk's JSON.
    private(set) var bytes: [UInt8]
    /// Where `delta.content`'s string value (quotes included) sits in `bytes`.
    private(set) var content: Range<Int>
    let choice: Int
    /// The content, unescaped.
    private(set) var text: [UInt8]
    /// Nothing else in the chunk but its choice's text (no role, tool calls, finish reason,
    /// logprobs or usage): dropped when all of its text is held.
    let textOnly: Bool

    /// nil unless `bytes` is a one-choice chunk with text.
    init?(_ bytes: [UInt8]) {
        guard let found = bytes.withUnsafeBytes({ Self.locate($0) }) else { return nil }
        self.bytes = bytes
        content = found.content
        choice = found.choice
        text = found.text
        textOnly = found.textOnly
    }

    /// The same chunk with `replacement` as its text (itself when the text is the same).
    func replacingText(_ replacement: [UInt8]) -> TextChunk {
        if replacement == text { return self }
        var copy = self
        copy.bytes = with(text: replacement)
        copy.content = content.lowerBound..<(copy.bytes.count - (bytes.count - content.upperBound))
        copy.text = replacement
        return copy
    }

    /// The chunk's bytes with `replacement` as its content (escaped as JSON requires; the bytes
    /// as they are when the text is the same).
    func with(text replacement: [UInt8]) -> [UInt8] {
        if replacement == text { return bytes }
        var writer = JSONWriter(capacity: bytes.count - content.count + replacement.count + 16)
        bytes.withUnsafeBytes { raw in
            writer.raw(UnsafeRawBufferPointer(rebasing: raw[..<content.lowerBound]))
            replacement.withUnsafeBytes { writer.string(utf8: $0) }
            writer.raw(UnsafeRawBufferPointer(rebasing: raw[content.upperBound...]))
        }
        return writer.bytes
    }

    /// One pass over each level (the chunk, its choice, its delta) with nothing allocated but
    /// the text.
    private static func locate(_ chunk: UnsafeRawBufferPointer) -> (content: Range<Int>, choice: Int, text: [UInt8], textOnly: Bool)? {
        var choices: Range<Int>?
        var others = false
        guard (try? JSONValidation.forEachMember(chunk, { key, _, value in
            if JSONValidation.key(key, is: "choices") { choices = value }
            if JSONValidation.key(key, is: "usage"), !isNull(chunk, value) { others = true }
            return true
        })) != nil, let choices, let choiceRange = onlyElement(chunk, choices) else { return nil }
        let choiceBytes = UnsafeRawBufferPointer(rebasing: chunk[choiceRange])
        var delta: Range<Int>?
        var index: Range<Int>?
        guard (try? JSONValidation.forEachMember(choiceBytes, { key, _, value in
            if JSONValidation.key(key, is: "delta") {
                delta = value
            } else if JSONValidation.key(key, is: "index") {
                index = value
            } else if !(JSONValidation.key(key, is: "finish_reason") || JSONValidation.key(key, is: "logprobs")) || !isNull(choiceBytes, value) {
                others = true
            }
            return true
        })) != nil, let delta, choiceBytes[delta.lowerBound] == UInt8(ascii: "{") else { return nil }
        let deltaBytes = UnsafeRawBufferPointer(rebasing: choiceBytes[delta])
        var content: Range<Int>?
        guard (try? JSONValidation.forEachMember(deltaBytes, { key, _, value in
            if JSONValidation.key(key, is: "content") {
                content = value
            } else if !JSONValidation.key(key, is: "role") || !isNull(deltaBytes, value) {
                others = true
            }
            return true
        })) != nil, let content, deltaBytes[content.lowerBound] == UInt8(ascii: "\""), content.count > 2 else { return nil }
        let quoted = UnsafeRawBufferPointer(rebasing: deltaBytes[content])
        let text: [UInt8]
        if quoted.contains(UInt8(ascii: "\\")) {
            var reader = JSONReader(quoted)
            guard let unescaped = try? reader.readString() else { return nil }
            text = Array(unescaped.utf8)
        } else {
            text = Array(quoted[1..<(quoted.count - 1)])  // validated, nothing to unescape
        }
        var choice = 0
        if let index {
            for byte in choiceBytes[index] {
                guard byte >= 0x30 && byte <= 0x39, choice < 1_000_000 else { return nil }
                choice = choice * 10 + Int(byte - 0x30)
            }
        }
        let base = choiceRange.lowerBound + delta.lowerBound
        return ((base + content.lowerBound)..<(base + content.upperBound), choice, text, !others)
    }

    private static func isNull(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
        bytes[value].elementsEqual("null".utf8)
    }

    /// The range of the one element of the JSON array at `range`; nil unless it has exactly one
    /// (an object).
    private static func onlyElement(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int>? {
        let array = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard array.first == UInt8(ascii: "[") else { return nil }
        let start = skipSpace(array, from: 1)
        guard start < array.count, array[start] == UInt8(ascii: "{") else { return nil }
        var reader = JSONReader(UnsafeRawBufferPointer(rebasing: array[start...]))
        guard (try? reader.skipValue()) != nil else { return nil }
        let end = start + reader.offset
        let close = skipSpace(array, from: end)
        guard close < array.count, array[close] == UInt8(ascii: "]") else { return nil }
        return (range.lowerBound + start)..<(range.lowerBound + end)
    }

    private static func skipSpace(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        return index
    }
}
