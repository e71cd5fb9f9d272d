/// Validation without building anything, for bytes that are only checked and forwarded (a
/// plugin's output on its way to a client): one strict RFC 8259 pass, exactly as strict as
/// `JSONReader` (well-formed UTF-8, no raw control characters in strings, paired surrogate
/// escapes, nesting up to `JSONReader.maximumDepth`), but written as one loop over a pointer:
/// strings are skipped eight bytes at a time straight to their next special byte, and nothing
/// is allocated. About a tenth of the instructions of `JSONReader.skipValue` on typical output.
///
/// On failure the input is read again by `JSONReader` for its precise message: the slow path is
/// only ever taken for bad input.
public enum JSONValidation {
    /// nil when `bytes` is exactly one JSON object (whitespace around it allowed); otherwise why not.
    public static func objectError(_ bytes: UnsafeRawBufferPointer) -> JSONError? {
        JSONScanner.scan(bytes, members: false) { _, _, _ in true } ? nil : explain(bytes)
    }

    /// Whether `bytes` is exactly one JSON object (whitespace around it allowed).
    public static func isObject(_ bytes: UnsafeRawBufferPointer) -> Bool {
        JSONScanner.scan(bytes, members: false) { _, _, _ in true }
    }

    /// Validates `bytes` as exactly one JSON object and calls `member` for each top-level member
    /// in order, as soon as its value has been read: the key as written (the bytes between its
    /// quotes, escapes not decoded), whether the key has escapes, and the byte range of the value.
    /// `member` returns false to stop early (the rest is then left unchecked). Nothing is allocated.
    public static func forEachMember(
        _ bytes: UnsafeRawBufferPointer,
        _ member: (_ key: UnsafeRawBufferPointer, _ keyHasEscapes: Bool, _ value: Range<Int>) -> Bool
    ) throws(JSONError) {
        if !JSONScanner.scan(bytes, members: true, member) { throw explain(bytes) }
    }

    /// Whether `key` is exactly `name` (bytes compared, no decoding).
    @inline(__always)
    public static func key(_ key: UnsafeRawBufferPointer, is name: StaticString) -> Bool {
        key.count == name.utf8CodeUnitCount && sameBytes(key, 0, name)
    }

    /// Whether `key` ends with `suffix` (bytes compared, no decoding).
    @inline(__always)
    public static func key(_ key: UnsafeRawBufferPointer, endsWith suffix: StaticString) -> Bool {
        key.count >= suffix.utf8CodeUnitCount && sameBytes(key, key.count - suffix.utf8CodeUnitCount, suffix)
    }

    @inline(__always)
    static func sameBytes(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ text: StaticString) -> Bool {
        let other = text.utf8Start
        for index in 0..<text.utf8CodeUnitCount where bytes[offset + index] != other[index] { return false }
        return true
    }

    /// Whether `bytes` (an already validated JSON value) is a non-negative integer of at most
    /// `maximumDigits` digits: no sign, fraction or exponent.
    public static func isNonNegativeInteger(_ bytes: UnsafeRawBufferPointer, maximumDigits: Int = 18) -> Bool {
        guard !bytes.isEmpty, bytes.count <= maximumDigits else { return false }
        for byte in bytes where byte < UInt8(ascii: "0") || byte > UInt8(ascii: "9") { return false }
        return true
    }

    /// The reader's own words for why `bytes` is not one JSON object.
    static func explain(_ bytes: UnsafeRawBufferPointer) -> JSONError {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        guard reader.peek() == UInt8(ascii: "{") else {
            return reader.atEnd ? JSONError("empty, expected a JSON object", at: 0) : reader.unexpected(expecting: "'{' (a JSON object)")
        }
        do {
            try reader.skipValue()
            try reader.expectEnd()
        } catch {
            return error
        }
        // The two validators disagree: a bug here, but the input stays refused.
        return JSONError("not accepted as JSON", at: 0)
    }
}

/// The loop behind `JSONValidation`. Kept apart so the hot path reads as one function.
enum JSONScanner {
    private enum State { case value, key, after }

    /// True when `raw` is one JSON object. With `members`, `member` is called for each top-level
    /// member (returning false stops the scan, which then counts as a success).
    @inline(__always)
    static func scan(_ raw: UnsafeRawBufferPointer, members: Bool, _ member: (UnsafeRawBufferPointer, Bool, Range<Int>) -> Bool) -> Bool {
        guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        let end = raw.count
        var i = skipWhitespace(base, 0, end)
        guard i < end, base[i] == UInt8(ascii: "{") else { return false }
        var depth = 0
        var inObject = false
        var objects = SIMD4<UInt64>()  // one bit per nesting level: 1 = object, 0 = array
        var keyStart = 0, keyEnd = 0, keyEscaped = false, valueStart = 0
        var state = State.value
        while true {
            switch state {
            case .value:
                guard i < end else { return false }
                if members, depth == 1 { valueStart = i }
                let byte = base[i]
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard depth < JSONReader.maximumDepth else { return false }
                    let isObject = byte == UInt8(ascii: "{")
                    let bit: UInt64 = 1 << UInt64(depth & 63)
                    if isObject { objects[depth >> 6] |= bit } else { objects[depth >> 6] &= ~bit }
                    depth += 1
                    inObject = isObject
                    i = skipWhitespace(base, i + 1, end)
                    guard i < end else { return false }
                    if base[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        i += 1
                        depth -= 1
                        inObject = depth > 0 && objects[(depth - 1) >> 6] & (1 << UInt64((depth - 1) & 63)) != 0
                        state = .after
                    } else {
                        state = isObject ? .key : .value
                    }
                    continue
                case UInt8(ascii: "\""):
                    var escaped = false
                    i = scanString(base, i, end, &escaped)
                    guard i >= 0 else { return false }
                case UInt8(ascii: "t"):
                    guard i + 4 <= end, load32(base, i) == 0x6575_7274 else { return false }  // "true"
                    i += 4
                case UInt8(ascii: "f"):
                    guard i + 5 <= end, load32(base, i + 1) == 0x6573_6C61 else { return false }  // "alse"
                    i += 5
                case UInt8(ascii: "n"):
                    guard i + 4 <= end, load32(base, i) == 0x6C6C_756E else { return false }  // "null"
                    i += 4
                default:
                    i = scanNumber(base, i, end)
                    guard i >= 0 else { return false }
                }
                state = .after
            case .key:
                guard i < end, base[i] == UInt8(ascii: "\"") else { return false }
                let start = i + 1
                var escaped = false
                i = scanString(base, i, end, &escaped)
                guard i >= 0 else { return false }
                if depth == 1 { (keyStart, keyEnd, keyEscaped) = (start, i - 1, escaped) }
                i = skipWhitespace(base, i, end)
                guard i < end, base[i] == UInt8(ascii: ":") else { return false }
                i = skipWhitespace(base, i + 1, end)
                state = .value
            case .after:
                if members, depth == 1,
                   !member(UnsafeRawBufferPointer(start: base + keyStart, count: keyEnd - keyStart), keyEscaped, valueStart..<i) {
                    return true
                }
                i = skipWhitespace(base, i, end)
                if depth == 0 { return i == end }
                guard i < end else { return false }
                let byte = base[i]
                if byte == UInt8(ascii: ",") {
                    i = skipWhitespace(base, i + 1, end)
                    state = inObject ? .key : .value
                } else if byte == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    depth -= 1
                    inObject = depth > 0 && objects[(depth - 1) >> 6] & (1 << UInt64((depth - 1) & 63)) != 0
                } else {
                    return false
                }
            }
        }
    }

    @inline(__always)
    static func skipWhitespace(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var i = start
        while i < end, base[i] <= 0x20 {
            let byte = base[i]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return i }
            i += 1
        }
        return i
    }

    @inline(__always)
    static func load32(_ base: UnsafePointer<UInt8>, _ at: Int) -> UInt32 {
        UInt32(littleEndian: UnsafeRawPointer(base + at).loadUnaligned(as: UInt32.self))
    }

    /// The string starting at the quote at `start`: the index after its closing quote, or -1.
    @inline(__always)
    static func scanString(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ escaped: inout Bool) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var i = start + 1
        while true {
            // Eight bytes at a time to the next byte that needs a look: >= 0x80, < 0x20, '"' or
            // '\\'. The lowest flagged byte is exact (the borrow tricks only flag false positives
            // above a true one), so the jump lands on it.
            while i + 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
                let special = (word | ((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & highs
                if special != 0 {
                    i += special.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            guard i < end else { return -1 }
            let byte = base[i]
            if byte == UInt8(ascii: "\"") { return i + 1 }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                i = scanEscape(base, i, end)
                guard i >= 0 else { return -1 }
            } else if byte < 0x20 {
                return -1
            } else if byte < 0x80 {
                i += 1
            } else {
                let length = utf8Length(base, i, end)
                guard length > 0 else { return -1 }
                i += length
            }
        }
    }

    /// The escape at the backslash at `start`: the index after it, or -1. A `\u` high surrogate
    /// must be followed by a `\u` low one; a lone low surrogate is refused.
    static func scanEscape(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        guard start + 1 < end else { return -1 }
        switch base[start + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return start + 2
        case UInt8(ascii: "u"):
            let high = hex4(base, start + 2, end)
            if high < 0 { return -1 }
            if high >= 0xDC00 && high < 0xE000 { return -1 }
            guard high >= 0xD800 && high < 0xDC00 else { return start + 6 }
            guard start + 7 < end, base[start + 6] == UInt8(ascii: "\\"), base[start + 7] == UInt8(ascii: "u") else { return -1 }
            let low = hex4(base, start + 8, end)
            guard low >= 0xDC00 && low < 0xE000 else { return -1 }
            return start + 12
        default:
            return -1
        }
    }

    /// Four hex digits at `start` as a value, or -1.
    static func hex4(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        guard start + 4 <= end else { return -1 }
        var value = 0
        for index in start..<(start + 4) {
            let byte = base[index]
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
            default: return -1
            }
            value = value << 4 | digit
        }
        return value
    }

    /// Length of the well-formed UTF-8 sequence at `start` (lead byte >= 0x80), or 0 (RFC 3629:
    /// no overlong forms, no surrogates, nothing past U+10FFFF, no truncated sequence). The one
    /// table of the module; `UTF8Validation` uses it too.
    @inline(__always)
    static func utf8Length(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        let lead = base[start]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: return 0
        }
        guard start + length <= end else { return 0 }
        let second = base[start + 1]
        guard second >= lower && second <= upper else { return 0 }
        if length > 2 && base[start + 2] & 0xC0 != 0x80 { return 0 }
        if length > 3 && base[start + 3] & 0xC0 != 0x80 { return 0 }
        return length
    }

    /// The number at `start`: the index after it, or -1. What may follow is the caller's
    /// business (a letter, digit or '.' after a number is a structural error there).
    @inline(__always)
    static func scanNumber(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var i = start
        if base[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, isDigit(base[i]) else { return -1 }
        if base[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            i += 1
            while i < end, isDigit(base[i]) { i += 1 }
        }
        if i < end, base[i] == UInt8(ascii: ".") {
            i += 1
            guard i < end, isDigit(base[i]) else { return -1 }
            while i < end, isDigit(base[i]) { i += 1 }
        }
        if i < end, base[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < end, base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-") { i += 1 }
            guard i < end, isDigit(base[i]) else { return -1 }
            while i < end, isDigit(base[i]) { i += 1 }
        }
        return i
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }
}
