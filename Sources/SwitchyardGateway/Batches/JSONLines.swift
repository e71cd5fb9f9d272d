/// Splits a JSONL body that arrives in pieces into lines, keeping only the unfinished line
/// between pieces. A line ends at LF (a CR before it is dropped); the last line needs no LF.
/// Blank lines are numbered but not returned, so line numbers match what an editor shows.
///
/// Memory: the unfinished line and the piece being split, nothing else; a line longer than
/// `maxLineBytes` is an error (the batch APIs bound a request far below it).
///
/// Threading: single owner.
struct JSONLines {
    enum Next: Equatable {
        case line(number: Int, bytes: ArraySlice<UInt8>)
        /// Feed more (or call `finish`).
        case needMore
        case tooLong(number: Int)
    }

    let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var finished = false
    /// The number of the last line returned (or skipped as blank).
    private(set) var lineNumber = 0

    init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    /// Adds a piece. Lines handed out before stay valid only until the next `append`.
    mutating func append(_ piece: UnsafeRawBufferPointer) {
        if start > 0 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: piece)
    }

    /// No more pieces: what is left is the last line.
    mutating func finish() { finished = true }

    /// The next non-blank line, if a whole one is buffered.
    mutating func next() -> Next {
        while true {
            var end = scanned
            while end < buffer.count, buffer[end] != UInt8(ascii: "\n") { end += 1 }
            if end == buffer.count {
                scanned = end
                if end - start > maxLineBytes { return .tooLong(number: lineNumber + 1) }
                guard finished, start < end else { return .needMore }
            }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start, buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            let line = buffer[start..<lineEnd]
            start = min(end + 1, buffer.count)
            scanned = start
            if line.count > maxLineBytes { return .tooLong(number: lineNumber) }
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            return .line(number: lineNumber, bytes: line)
        }
    }
}
