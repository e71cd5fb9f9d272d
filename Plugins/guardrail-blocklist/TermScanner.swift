/// Finds the blocked terms in a folded text, whole or as the front of a stream.
///
/// A term matches where its text occurs (after lowercasing both) and its edges are word
/// boundaries: a term that starts with a word character must not follow one, a term that ends
/// with a word character must not be followed by one (see `WordCharacter`). "forbidden-word"
/// matches in "say forbidden-word now"; "forbidden" does not match in "forbiddenword". Where
/// several terms start at one place the longest wins; matches do not overlap.
///
/// When the text may continue (`isFinal` false: a stream's window), a term that reaches the end
/// of the text is undecided: a prefix of a term ("forbid") may still complete, and a whole term
/// ending in a word character ("forbidden") may still be followed by one. The scan stops at the
/// first undecided place and reports it as `holdFrom`: everything before is decided, the tail
/// from there must wait for more text. It is the shortest such tail: any earlier start is decided.
struct TermScanner: Sendable {
    let trie: TermTrie

    struct Result {
        /// The matches before `holdFrom`, as unit ranges, in order.
        var matches: [Range<Int>] = []
        /// The first unit of the tail that must wait for more text; the text's unit count when
        /// nothing must (always, for a final text).
        var holdFrom: Int
    }

    /// - Parameters:
    ///   - isFinal: nothing follows the text.
    ///   - precededByWord: the character before the text (released earlier in the stream) is a
    ///     word character; false at the start of a text.
    ///   - firstOnly: stop at the first match (a rejection needs no more).
    func scan(_ text: FoldedText, isFinal: Bool, precededByWord: Bool = false, firstOnly: Bool = false) -> Result {
        let units = text.units
        var result = Result(holdFrom: units.count)
        var start = 0
        var previousIsWord = precededByWord
        while start < units.count {
            let unit = units[start]
            let isWord = WordCharacter.contains(unit)
            // Inside a word no term can start (one starting with a word character needs a
            // boundary before it): most positions end here, before any trie lookup.
            guard !(isWord && previousIsWord), text.startsScalar(start), let first = trie.child(of: TermTrie.root, unit) else {
                previousIsWord = isWord
                start += 1
                continue
            }
            let (end, undecided) = longestMatch(from: start, after: first, in: text, isFinal: isFinal)
            if let end, firstOnly || !undecided {
                result.matches.append(start..<end)
                if firstOnly { return result }
                previousIsWord = WordCharacter.contains(units[end - 1])
                start = end
            } else if undecided {
                result.holdFrom = start
                return result
            } else {
                previousIsWord = isWord
                start += 1
            }
        }
        return result
    }

    /// Walks the trie from `start` (whose first unit led to `node`): the end of the longest term
    /// that matches there with its end boundary known, and whether a term touching the end of a
    /// text that may continue leaves the outcome open.
    private func longestMatch(from start: Int, after node: Int, in text: FoldedText, isFinal: Bool) -> (end: Int?, undecided: Bool) {
        let units = text.units
        var node = node
        var end = start + 1
        var longest: Int?
        while true {
            if trie.endsTerm(node), text.endsScalar(end) {
                if !WordCharacter.contains(units[end - 1]) || (end < units.count ? !WordCharacter.contains(units[end]) : isFinal) {
                    longest = end
                } else if end == units.count {
                    return (longest, true)  // a whole term whose next character has not arrived
                }
            }
            guard end < units.count else { return (longest, !isFinal && trie.hasChildren(node)) }
            guard let next = trie.child(of: node, units[end]) else { return (longest, false) }
            node = next
            end += 1
        }
    }
}
