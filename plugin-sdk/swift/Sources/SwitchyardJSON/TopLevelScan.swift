/// The top level of a JSON object, validated in full but not built: for each top-level key, the
/// byte range of its value. The gateway reads `model` and `stream` from a request this way and
/// forwards the rest untouched (a full decode would cost more than the gateway's whole budget).
public struct TopLevelScan: Sendable {
    public struct Member: Sendable {
        /// The key, unescaped.
        public let key: String
        /// Byte range of the value in the scanned buffer.
        public let value: Range<Int>
    }

    public let members: [Member]

    /// Validates `bytes` as one JSON object and records its top-level members.
    public init(_ bytes: UnsafeRawBufferPointer) throws(JSONError) {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        guard reader.peek() == UInt8(ascii: "{") else {
            throw reader.atEnd ? JSONError("empty body, expected a JSON object", at: 0) : reader.unexpected(expecting: "'{' (a JSON object)")
        }
        reader.offset += 1
        var members: [Member] = []
        reader.skipWhitespace()
        if reader.peek() == UInt8(ascii: "}") {
            reader.offset += 1
        } else {
            while true {
                reader.skipWhitespace()
                guard reader.peek() == UInt8(ascii: "\"") else { throw reader.unexpected(expecting: "an object key") }
                let key = try reader.readString()
                try reader.expect(UInt8(ascii: ":"), "':'")
                reader.skipWhitespace()
                let start = reader.offset
                try reader.skipValue(depth: 1)
                members.append(Member(key: key, value: start..<reader.offset))
                if try reader.endOfContainer(UInt8(ascii: "}")) { break }
            }
        }
        try reader.expectEnd()
        self.members = members
    }

    public func range(of key: String) -> Range<Int>? {
        members.first(where: { $0.key == key })?.value
    }
}
