import SwitchyardPluginSDK

/// Runs every detector over one text, one pattern after another (each a JIT scan of the text),
/// for one inspect call: `scratch` is that call's.
struct TextScanner {
    let detectors: [Detector]
    let scratch: MatchScratch

    struct Result {
        /// Every accepted match, in detector order then text order. Matches of different
        /// detectors may overlap (`Redaction` merges them).
        var findings: [Finding] = []
        /// Streaming: the text from this byte on may still turn into a match once more text
        /// arrives, and every finding ends at or before it. The text's length when nothing is
        /// pending (always, for a final text).
        var holdFrom: Int
    }

    /// Scans `text`. `streaming` (chunk phase, more text may follow): matches that touch the end
    /// are not reported but make `holdFrom` (PCRE2 partial matching), as does a text that ends in
    /// the first part of something a detector would match.
    func scan(_ text: UnsafeRawBufferPointer, streaming: Bool) throws(PluginError) -> Result {
        var result = Result(holdFrom: text.count)
        var facts = TextFacts(text)
        for (index, detector) in detectors.enumerated() {
            guard detector.prefilter.admits(&facts, streaming: streaming, heldPartialsContain: detector.holdsOnceItContains) else { continue }
            var offset = 0
            searching: while offset <= text.count {
                let outcome: Pattern.Outcome
                do {
                    outcome = try detector.pattern.match(text, from: offset, partial: streaming, scratch: scratch)
                } catch {
                    throw PluginError(SY_E_INTERNAL, "pattern \(detector.name) failed: \(error.message)")
                }
                switch outcome {
                case .none:
                    break searching
                case .partial(let start):
                    // Later text could complete it: hold it (with the context its lookbehind needs).
                    if let needed = detector.holdsOnceItContains, !text[start...].contains(needed) { break searching }
                    result.holdFrom = min(result.holdFrom, Self.back(detector.heldContext, charactersFrom: start, in: text))
                    break searching
                case .match(let range):
                    if !range.isEmpty, detector.accepts(UnsafeRawBufferPointer(rebasing: text[range])) {
                        result.findings.append(Finding(start: range.lowerBound, end: range.upperBound, detector: index))
                    }
                    // Matches do not overlap within one detector; an empty one moves on a character.
                    offset = range.isEmpty ? Self.nextCharacter(in: text, after: range.upperBound) : range.upperBound
                }
            }
        }
        if result.holdFrom < text.count { settleHold(&result, in: text) }
        return result
    }

    /// A finding that runs past where the text is held back would go out half redacted: hold it
    /// too (with its lookbehind's context), until no finding crosses. Findings inside the held text are
    /// dropped; they come back in the next window. The cut lands on a character boundary.
    private func settleHold(_ result: inout Result, in text: UnsafeRawBufferPointer) {
        var moved = true
        while moved {
            moved = false
            for finding in result.findings where finding.start < result.holdFrom && finding.end > result.holdFrom {
                result.holdFrom = Self.back(detectors[finding.detector].heldContext, charactersFrom: finding.start, in: text)
                moved = true
            }
        }
        while result.holdFrom > 0, text[result.holdFrom] & 0xC0 == 0x80 { result.holdFrom -= 1 }
        result.findings.removeAll { $0.end > result.holdFrom }
    }

    private static func back(_ characters: Int, charactersFrom offset: Int, in text: UnsafeRawBufferPointer) -> Int {
        var start = offset
        for _ in 0..<characters where start > 0 {
            start -= 1
            while start > 0, text[start] & 0xC0 == 0x80 { start -= 1 }
        }
        return start
    }

    private static func nextCharacter(in text: UnsafeRawBufferPointer, after offset: Int) -> Int {
        var next = offset + 1
        while next < text.count, text[next] & 0xC0 == 0x80 { next += 1 }
        return next
    }
}
