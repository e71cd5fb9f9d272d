import SwitchyardPluginSDK

/// A JSON object in a borrowed buffer with its top-level members located but not decoded. Stream
/// events are read through this: a text delta's string is copied into the outgoing chunk as the
/// JSON literal it already is, never unescaped and re-escaped.
/// Valid only while the buffer it was made from is.
struct RawObject {
    let bytes: UnsafeRawBufferPointer
    private let scan: TopLevelScan

    /// Validates `bytes` as one JSON object.
    init(_ bytes: UnsafeRawBufferPointer) throws(JSONError) {
        self.bytes = bytes
        scan = try TopLevelScan(bytes)
    }

    /// The value's bytes exactly as written (a string keeps its quotes and escapes).
    func raw(_ key: String) -> UnsafeRawBufferPointer? {
        guard let range = scan.range(of: key) else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    /// The value's bytes when it is a JSON string literal, quotes included.
    func rawString(_ key: String) -> UnsafeRawBufferPointer? {
        guard let value = raw(key), value.first == UInt8(ascii: "\"") else { return nil }
        return value
    }

    func object(_ key: String) -> RawObject? {
        guard let value = raw(key), value.first == UInt8(ascii: "{") else { return nil }
        return try? RawObject(value)
    }

    func string(_ key: String) -> String? {
        guard let value = rawString(key) else { return nil }
        var reader = JSONReader(value)
        return try? reader.readString()
    }

    /// A non-negative integer member; nil for anything else (null, absent, fractional).
    func int(_ key: String) -> Int? {
        guard let value = raw(key), !value.isEmpty, value.count <= 18 else { return nil }
        var result = 0
        for byte in value {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }

    /// Whether the member is the string literal `literal` (given with its quotes, unescaped
    /// ASCII), compared byte for byte.
    func has(_ key: String, _ literal: StaticString) -> Bool {
        guard let value = raw(key) else { return false }
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        return value.elementsEqual(expected)
    }
}
