/// A strict RFC 8259 reader over borrowed bytes. It can validate a value without building
/// anything (`skipValue`, used on the hot path to check bodies that are only forwarded) or build
/// a `JSONValue` (`readValue`). Strings are checked to be well-formed UTF-8 (no overlongs, no
/// surrogates) and free of raw control characters; nesting is bounded.
///
/// Borrowing: `bytes` must stay valid while the reader is used (it never escapes a call).
public struct JSONReader {
    public static let maximumDepth = 256

    let bytes: UnsafeRawBufferPointer
    public internal(set) var offset: Int = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var atEnd: Bool { offset >= bytes.count }

    @inline(__always)
    func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    @inline(__always)
    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    /// Fails unless only whitespace is left.
    public mutating func expectEnd() throws(JSONError) {
        skipWhitespace()
        if !atEnd { throw JSONError("unexpected data after the JSON value", at: offset) }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONError) {
        skipWhitespace()
        guard peek() == byte else { throw unexpected(expecting: what) }
        offset += 1
    }

    func unexpected(expecting what: String) -> JSONError {
        guard let byte = peek() else { return JSONError("unexpected end of input, expected \(what)", at: offset) }
        let shown = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        return JSONError("unexpected \(shown), expected \(what)", at: offset)
    }

    // MARK: validation without building

    /// Validates one value and moves past it.
    public mutating func skipValue(depth: Int = 0) throws(JSONError) {
        skipWhitespace()
        guard let byte = peek() else { throw unexpected(expecting: "a value") }
        switch byte {
        case UInt8(ascii: "{"):
            try enterContainer(depth)
            offset += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { offset += 1; return }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw unexpected(expecting: "an object key") }
                try skipString()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
                if try endOfContainer(UInt8(ascii: "}")) { return }
            }
        case UInt8(ascii: "["):
            try enterContainer(depth)
            offset += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { offset += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                if try endOfContainer(UInt8(ascii: "]")) { return }
            }
        case UInt8(ascii: "\""):
            try skipString()
        default:
            try skipScalarLiteral()
        }
    }

    /// Skips `true`, `false`, `null` or a number without building a value.
    mutating func skipScalarLiteral() throws(JSONError) {
        if matchLiteral("true") || matchLiteral("false") || matchLiteral("null") { return }
        try skipNumber()
    }

    func enterContainer(_ depth: Int) throws(JSONError) {
        if depth >= Self.maximumDepth { throw JSONError("nesting deeper than \(Self.maximumDepth)", at: offset) }
    }

    /// After a member: true on the closing bracket, false on a comma.
    mutating func endOfContainer(_ close: UInt8) throws(JSONError) -> Bool {
        skipWhitespace()
        guard let byte = peek() else { throw unexpected(expecting: "',' or '\(Character(Unicode.Scalar(close)))'") }
        offset += 1
        if byte == close { return true }
        if byte == UInt8(ascii: ",") { return false }
        offset -= 1
        throw unexpected(expecting: "',' or '\(Character(Unicode.Scalar(close)))'")
    }

    /// Validates a string starting at the opening quote; returns whether it had escapes.
    @discardableResult
    mutating func skipString() throws(JSONError) -> Bool {
        offset += 1  // opening quote
        var escaped = false
        while offset < bytes.count {
            offset = Self.skipPlainASCII(bytes, from: offset)
            guard offset < bytes.count else { break }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") { offset += 1; return escaped }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                _ = try readEscape()
            } else if byte < 0x20 {
                throw JSONError("raw control character in a string", at: offset)
            } else if byte < 0x80 {
                offset += 1
            } else {
                offset += try UTF8Validation.sequenceLength(bytes, at: offset)
            }
        }
        throw JSONError("unterminated string", at: offset)
    }

    /// Skips string bytes that need no attention (printable ASCII other than `"` and `\\`), eight
    /// at a time: most of a request body is such text, and a byte-at-a-time loop with four
    /// comparisons per byte was the largest single cost of validating it.
    @inline(__always)
    static func skipPlainASCII(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            // A byte is special when it is >= 0x80, < 0x20, '"' (0x22) or '\\' (0x5C).
            let below = (word &- ones &* 0x20) & ~word & highs
            let quote = ((word ^ (ones &* 0x22)) &- ones) & ~(word ^ (ones &* 0x22)) & highs
            let backslash = ((word ^ (ones &* 0x5C)) &- ones) & ~(word ^ (ones &* 0x5C)) & highs
            if (word & highs) | below | quote | backslash != 0 { break }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return index }
            index += 1
        }
        return index
    }

    /// Reads one escape at the backslash; returns the scalar it stands for.
    mutating func readEscape() throws(JSONError) -> Unicode.Scalar {
        let start = offset
        offset += 1
        guard let kind = peek() else { throw JSONError("unterminated escape", at: start) }
        offset += 1
        switch kind {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try readHex4(start)
            if high >= 0xD800 && high < 0xDC00 {
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw JSONError("unpaired UTF-16 surrogate in \\u escape", at: start)
                }
                offset += 2
                let low = try readHex4(start)
                guard low >= 0xDC00 && low < 0xE000 else { throw JSONError("unpaired UTF-16 surrogate in \\u escape", at: start) }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(high) else { throw JSONError("unpaired UTF-16 surrogate in \\u escape", at: start) }
            return scalar
        default:
            throw JSONError("invalid escape", at: start)
        }
    }

    mutating func readHex4(_ start: Int) throws(JSONError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw JSONError("invalid \\u escape", at: start) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONError("invalid \\u escape", at: start)
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// Reads `true`, `false`, `null` or a number at the current offset.
    mutating func readScalarLiteral() throws(JSONError) -> JSONValue {
        if matchLiteral("true") { return .bool(true) }
        if matchLiteral("false") { return .bool(false) }
        if matchLiteral("null") { return .null }
        let start = offset
        try skipNumber()
        return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self))
    }

    mutating func matchLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] { return false }
        // A literal must not run on into more letters ("nullx").
        if offset + count < bytes.count, isLetterOrDigit(bytes[offset + count]) { return false }
        offset += count
        return true
    }

    func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || isDigit(byte)
    }

    @inline(__always)
    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    mutating func skipNumber() throws(JSONError) {
        let start = offset
        if peek() == UInt8(ascii: "-") { offset += 1 }
        guard let first = peek(), isDigit(first) else { offset = start; throw unexpected(expecting: "a value") }
        offset += 1
        if first != UInt8(ascii: "0") { while let byte = peek(), isDigit(byte) { offset += 1 } }
        if peek() == UInt8(ascii: ".") {
            offset += 1
            guard let byte = peek(), isDigit(byte) else { throw JSONError("invalid number", at: start) }
            while let byte = peek(), isDigit(byte) { offset += 1 }
        }
        if let byte = peek(), byte | 0x20 == UInt8(ascii: "e") {
            offset += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { offset += 1 }
            guard let byte = peek(), isDigit(byte) else { throw JSONError("invalid number", at: start) }
            while let byte = peek(), isDigit(byte) { offset += 1 }
        }
        if let byte = peek(), isLetterOrDigit(byte) || byte == UInt8(ascii: ".") {
            throw JSONError("invalid number", at: start)
        }
    }
}
