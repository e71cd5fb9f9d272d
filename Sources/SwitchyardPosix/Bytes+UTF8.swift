extension Array where Element == UInt8 {
    /// Appends a string's UTF-8 with one copy. `append(contentsOf: text.utf8)` walks the bytes one
    /// at a time whenever the string has no contiguous storage to lend, which is the case for
    /// every small (≤ 15-byte, inline) string: most header names and values.
    @inlinable
    public mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }
}
