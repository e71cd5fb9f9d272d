/// Well-formed UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing past
/// U+10FFFF. Clients send bad UTF-8 more often than one would hope, and upstreams reject it with
/// confusing errors, so the gateway rejects it first with a clear one.
public enum UTF8Validation {
    /// Length of the multi-byte sequence starting at `offset` (whose first byte is >= 0x80).
    /// One table for the whole module: `JSONScanner.utf8Length`.
    @inline(__always)
    static func sequenceLength(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(JSONError) -> Int {
        let length = JSONScanner.utf8Length(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), offset, bytes.count)
        guard length == 0 else { return length }
        throw JSONError("invalid UTF-8", at: offset)
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
