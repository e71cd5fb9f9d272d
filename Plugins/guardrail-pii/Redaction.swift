/// Writing a text back with its findings replaced by their detectors' placeholders.
enum Redaction {
    /// `text` with every finding replaced. Overlapping findings (of different detectors) become
    /// one span, named by the one that starts first (the earlier detector on a tie), so no part
    /// of either is left in clear.
    static func redact(_ text: UnsafeRawBufferPointer, findings: [Finding], detectors: [Detector]) -> [UInt8] {
        let ordered = findings.sorted { ($0.start, $0.detector) < ($1.start, $1.detector) }
        var output: [UInt8] = []
        output.reserveCapacity(text.count + 16 * ordered.count)
        var copied = 0
        var index = 0
        while index < ordered.count {
            let span = ordered[index]
            var end = span.end
            index += 1
            while index < ordered.count, ordered[index].start < end {
                end = max(end, ordered[index].end)
                index += 1
            }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[copied..<span.start]))
            output.append(contentsOf: detectors[span.detector].placeholder)
            copied = end
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[copied...]))
        return output
    }
}
