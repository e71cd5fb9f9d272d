/// The top level of a JSON object, validated in full but not built: for each top-level key, the
/// byte range of its value. The gateway reads `model` and `stream` from a request this way and
/// forwards the rest untouched (a full decode would cost more than the gateway's whole budget).
///
/// Keys are kept as bytes (unescaped, one buffer for all of them), not as Strings: a lookup
/// compares bytes, and scanning a request creates no String at all.
public struct TopLevelScan: Sendable {
    public struct Member: Sendable {
        /// The key, unescaped.
        public let key: String
        /// Byte range of the value in the scanned buffer.
        public let value: Range<Int>
    }

    /// Every key's unescaped UTF-8, back to back.
    private var keyBytes: [UInt8] = []
    /// Per member: where its key ends in `keyBytes`, and its value's range in the input.
    private var entries: [(keyEnd: Int, value: Range<Int>)] = []

    /// Number of top-level members.
    public var count: Int { entries.count }

    /// The members in order (builds Strings: for diagnostics and tests, not the hot path).
    public var members: [Member] {
        entries.indices.map { index in
            let start = index == 0 ? 0 : entries[index - 1].keyEnd
            return Member(key: String(decoding: keyBytes[start..<entries[index].keyEnd], as: UTF8.self), value: entries[index].value)
        }
    }

    /// Validates `bytes` as one JSON object and records its top-level members.
    ///
    /// One pass of `JSONValidation`'s scanner; bad input is read again by `JSONReader` for its
    /// precise error (both accept exactly the same documents).
    public init(_ bytes: UnsafeRawBufferPointer) throws(JSONError) {
        var keyBytes: [UInt8] = []
        var entries: [(keyEnd: Int, value: Range<Int>)] = []
        keyBytes.reserveCapacity(64)
        entries.reserveCapacity(8)
        var escapedKeyFailed = false
        let valid = JSONScanner.scan(bytes, members: true) { key, escaped, value in
            if escaped {
                // Rare: an escaped key, unescaped the slow way (quotes included).
                let start = key.baseAddress! - bytes.baseAddress! - 1
                var keyReader = JSONReader(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + key.count + 2)]))
                guard let text = try? keyReader.readString() else {
                    escapedKeyFailed = true
                    return false
                }
                keyBytes.append(contentsOf: text.utf8)
            } else {
                keyBytes.append(contentsOf: key)
            }
            entries.append((keyBytes.count, value))
            return true
        }
        if valid && !escapedKeyFailed {
            self.init(keyBytes: keyBytes, entries: entries)
        } else {
            try self.init(reading: bytes)
        }
    }

    private init(keyBytes: [UInt8], entries: [(keyEnd: Int, value: Range<Int>)]) {
        self.keyBytes = keyBytes
        self.entries = entries
    }

    /// The reader's pass: for the error of input the scanner refused.
    init(reading bytes: UnsafeRawBufferPointer) throws(JSONError) {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        guard reader.peek() == UInt8(ascii: "{") else {
            throw reader.atEnd ? JSONError("empty body, expected a JSON object", at: 0) : reader.unexpected(expecting: "'{' (a JSON object)")
        }
        reader.offset += 1
        reader.skipWhitespace()
        if reader.peek() == UInt8(ascii: "}") {
            reader.offset += 1
        } else {
            keyBytes.reserveCapacity(64)
            entries.reserveCapacity(8)
            while true {
                reader.skipWhitespace()
                guard reader.peek() == UInt8(ascii: "\"") else { throw reader.unexpected(expecting: "an object key") }
                let start = reader.offset
                if try reader.skipString() {
                    // Rare: an escaped key. Unescape it the slow way.
                    var keyReader = JSONReader(UnsafeRawBufferPointer(rebasing: bytes[start..<reader.offset]))
                    keyBytes.append(contentsOf: try keyReader.readString().utf8)
                } else {
                    keyBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(reader.offset - 1)]))
                }
                let keyEnd = keyBytes.count
                try reader.expect(UInt8(ascii: ":"), "':'")
                reader.skipWhitespace()
                let valueStart = reader.offset
                try reader.skipValue(depth: 1)
                entries.append((keyEnd, valueStart..<reader.offset))
                if try reader.endOfContainer(UInt8(ascii: "}")) { break }
            }
        }
        try reader.expectEnd()
    }

    /// The value range of the first member named `key`.
    public func range(of key: String) -> Range<Int>? {
        var key = key
        return key.withUTF8 { wanted in
            var start = 0
            for entry in entries {
                let end = entry.keyEnd
                if end - start == wanted.count, keyBytes[start..<end].elementsEqual(wanted) { return entry.value }
                start = end
            }
            return nil
        }
    }
}
