/// Incremental splitter for a JSON array of objects that arrives in arbitrary pieces (Gemini's
/// `streamGenerateContent` without `alt=sse` answers one array, element by element): each
/// element is handed out as soon as its closing brace arrives, borrowed for the call.
///
/// Memory: an element that arrives whole in one chunk is handed out straight from the chunk;
/// one split over chunks is gathered in a buffer reused for every element, at most
/// `maximumElementBytes`. A larger one is skipped (never handed out in part) and counted in
/// `droppedElements`. Elements are delimited, not validated: the reader of an element validates
/// it (`RawJSON.forEachMember`). Anything but an array of objects and arrays stops the splitter
/// (`isInvalid`). One splitter per body; not thread-safe.
public struct JSONArrayElements {
    private enum State { case open, between, inside, closed, invalid }
    private var state = State.open
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var element: [UInt8] = []
    private var dropping = false
    private let maximumElementBytes: Int
    /// Elements skipped for being larger than `maximumElementBytes`.
    public private(set) var droppedElements = 0

    public init(maximumElementBytes: Int = .max) {
        self.maximumElementBytes = maximumElementBytes
    }

    /// The closing `]` arrived.
    public var isClosed: Bool { state == .closed }
    /// The bytes are not an array of objects: nothing more is handed out.
    public var isInvalid: Bool { state == .invalid }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onElement: (UnsafeRawBufferPointer) -> Void) {
        var index = 0
        var elementStart = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch state {
            case .inside:
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        finishElement(UnsafeRawBufferPointer(rebasing: bytes[elementStart...index]), onElement)
                        state = .between
                    }
                }
            case .open, .between:
                if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || (state == .between && byte == UInt8(ascii: ",")) {
                    break
                } else if state == .open {
                    guard byte == UInt8(ascii: "[") else { state = .invalid; return }
                    state = .between
                } else if byte == UInt8(ascii: "]") {
                    state = .closed
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    state = .inside
                    depth = 1
                    elementStart = index
                } else {
                    state = .invalid
                    return
                }
            case .closed, .invalid:
                return
            }
            index += 1
        }
        if state == .inside { keep(UnsafeRawBufferPointer(rebasing: bytes[elementStart...])) }
    }

    /// The unfinished element's bytes of this chunk: gathered, or the element dropped when it
    /// would pass the bound.
    private mutating func keep(_ piece: UnsafeRawBufferPointer) {
        guard !dropping else { return }
        if element.count + piece.count > maximumElementBytes {
            dropping = true
            droppedElements += 1
            element = []
        } else {
            element.appendBytes(piece)
        }
    }

    private mutating func finishElement(_ piece: UnsafeRawBufferPointer, _ onElement: (UnsafeRawBufferPointer) -> Void) {
        if dropping {
            dropping = false
        } else if element.isEmpty {
            if piece.count > maximumElementBytes { droppedElements += 1 } else { onElement(piece) }
        } else {
            keep(piece)
            if dropping {
                dropping = false
            } else {
                element.withUnsafeBytes { onElement($0) }
            }
            element.removeAll(keepingCapacity: true)
        }
    }
}
