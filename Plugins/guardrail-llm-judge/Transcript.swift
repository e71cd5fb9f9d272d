/// The conversation as the judge reads it (its user message): one "role: content" line per
/// message, oldest first. Continuation lines of a message are indented by two spaces, so a
/// message cannot pass off a line of its own as another message ("\nassistant: ...").
///
/// Bounded by `maxCharacters` (Unicode scalars, newlines included): messages are taken from
/// the newest backwards while they fit whole; the first that does not fit is cut to the room
/// left, keeping its beginning and its end around " […] " (padding at either end cannot push
/// the rest out of view); older messages are left out, and a first line says how many.
enum Transcript {
    static func render(_ turns: [Turn], maxCharacters: Int) -> String {
        var newestFirst: [String] = []
        var used = 0
        for turn in turns.reversed() {
            let line = self.line(turn)
            let separator = newestFirst.isEmpty ? 0 : 1
            let length = line.unicodeScalars.count
            if used + separator + length <= maxCharacters {
                newestFirst.append(line)
                used += separator + length
                continue
            }
            let room = maxCharacters - used - separator
            if room >= minimumExcerpt { newestFirst.append(abridge(line, to: room)) }
            break
        }
        var lines = Array(newestFirst.reversed())
        let omitted = turns.count - lines.count
        if omitted > 0 { lines.insert("[\(omitted) earlier message\(omitted == 1 ? "" : "s") omitted]", at: 0) }
        return lines.joined(separator: "\n")
    }

    /// Below this much room a cut message would tell the judge nothing.
    static let minimumExcerpt = 40
    static let cutMarker = " […] "

    static func line(_ turn: Turn) -> String {
        turn.role + ": " + turn.text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: "\n  ")
    }

    /// `text` in at most `limit` scalars: its head and tail around the cut marker.
    static func abridge(_ text: String, to limit: Int) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return text }
        let kept = limit - cutMarker.unicodeScalars.count
        let head = kept / 2, tail = kept - head
        var result = String.UnicodeScalarView(scalars.prefix(head))
        result.append(contentsOf: cutMarker.unicodeScalars)
        result.append(contentsOf: scalars.suffix(tail))
        return String(result)
    }
}
