extension JSONReader {
    /// Builds the value at the current offset.
    public mutating func readValue(depth: Int = 0) throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard let byte = peek() else { throw unexpected(expecting: "a value") }
        switch byte {
        case UInt8(ascii: "{"):
            try enterContainer(depth)
            offset += 1
            var entries: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { offset += 1; return .object(JSONObject(entries)) }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw unexpected(expecting: "an object key") }
                let key = try readString()
                try expect(UInt8(ascii: ":"), "':'")
                entries.append((key, try readValue(depth: depth + 1)))
                if try endOfContainer(UInt8(ascii: "}")) { return .object(JSONObject(entries)) }
            }
        case UInt8(ascii: "["):
            try enterContainer(depth)
            offset += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { offset += 1; return .array(items) }
            while true {
                items.append(try readValue(depth: depth + 1))
                if try endOfContainer(UInt8(ascii: "]")) { return .array(items) }
            }
        case UInt8(ascii: "\""):
            return .string(try readString())
        default:
            return try readScalarLiteral()
        }
    }

    /// Reads a string at its opening quote.
    public mutating func readString() throws(JSONError) -> String {
        let start = offset
        let escaped = try skipString()
        let content = UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(offset - 1)])
        if !escaped { return String(decoding: content, as: UTF8.self) }  // already validated
        var text = String.UnicodeScalarView()
        var inner = JSONReader(content)
        while !inner.atEnd {
            let byte = inner.bytes[inner.offset]
            if byte == UInt8(ascii: "\\") {
                text.append(try inner.readEscape())
            } else {
                let length = byte < 0x80 ? 1 : try UTF8Validation.sequenceLength(content, at: inner.offset)
                let piece = UnsafeRawBufferPointer(rebasing: content[inner.offset..<(inner.offset + length)])
                text.append(contentsOf: String(decoding: piece, as: UTF8.self).unicodeScalars)
                inner.offset += length
            }
        }
        return String(text)
    }
}

extension JSONValue {
    /// Parses a complete JSON document (one value, surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        var reader = JSONReader(bytes)
        let value = try reader.readValue()
        try reader.expectEnd()
        return value
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        do {
            return try bytes.withUnsafeBytes { raw throws(JSONError) in try parse(raw) }
        } catch let error as JSONError {
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
    }

    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}
