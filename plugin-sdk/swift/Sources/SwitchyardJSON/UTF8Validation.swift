/// Well-formed UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing past
/// U+10FFFF. Clients send bad UTF-8 more often than one would hope, and upstreams reject it with
/// confusing errors, so the gateway rejects it first with a clear one.
public enum UTF8Validation {
    /// Length of the multi-byte sequence starting at `offset` (whose first byte is >= 0x80).
    @inline(__always)
    static func sequenceLength(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(JSONError) -> Int {
        let lead = bytes[offset]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F  // excludes surrogates
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F  // nothing past U+10FFFF
        default: throw JSONError("invalid UTF-8", at: offset)
        }
        guard offset + length <= bytes.count else { throw JSONError("invalid UTF-8 (truncated sequence)", at: offset) }
        let second = bytes[offset + 1]
        guard second >= lower && second <= upper else { throw JSONError("invalid UTF-8", at: offset) }
        for index in 2..<max(2, length) where bytes[offset + index] & 0xC0 != 0x80 {
            throw JSONError("invalid UTF-8", at: offset)
        }
        return length
    }

    /// Validates a whole buffer; returns the offset of the first bad sequence, or nil.
    public static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        while offset < bytes.count {
            if bytes[offset] < 0x80 { offset += 1; continue }
            do { offset += try sequenceLength(bytes, at: offset) } catch { return offset }
        }
        return nil
    }
}
