/// A header value of the shape `type; name=value; name="quoted value"` (RFC 9110 §5.6.6), as
/// `Content-Type` and `Content-Disposition` carry it: the leading word, lowercased, and the
/// parameters with lowercased names and their values unquoted (`\x` becomes `x`).
///
/// Lenient where clients differ (spaces around `;` and `=`), strict where a wrong reading could
/// pick the wrong value: an unterminated quote or a parameter without `=` is a nil parse.
struct HeaderParameters: Equatable {
    let value: String
    let parameters: [(name: String, value: String)]

    static func == (lhs: HeaderParameters, rhs: HeaderParameters) -> Bool {
        lhs.value == rhs.value && lhs.parameters.elementsEqual(rhs.parameters) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The first parameter called `name` (lowercase).
    subscript(name: String) -> String? { parameters.first { $0.name == name }?.value }

    init?(_ header: String) {
        let bytes = Array(header.utf8)
        var index = 0
        func skipSpaces() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 } }
        func word(until stops: Set<UInt8>) -> String {
            let start = index
            while index < bytes.count, !stops.contains(bytes[index]) { index += 1 }
            var end = index
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        skipSpaces()
        value = word(until: [UInt8(ascii: ";")]).lowercased()
        var parameters: [(name: String, value: String)] = []
        while index < bytes.count {
            index += 1  // the ';'
            skipSpaces()
            if index == bytes.count { break }  // a trailing ';'
            let name = word(until: [UInt8(ascii: "="), UInt8(ascii: ";")]).lowercased()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "="), !name.isEmpty else { return nil }
            index += 1
            skipSpaces()
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                var text: [UInt8] = []
                var closed = false
                while index < bytes.count {
                    let byte = bytes[index]
                    index += 1
                    if byte == UInt8(ascii: "\\"), index < bytes.count {
                        text.append(bytes[index])
                        index += 1
                    } else if byte == UInt8(ascii: "\"") {
                        closed = true
                        break
                    } else {
                        text.append(byte)
                    }
                }
                guard closed else { return nil }
                parameters.append((name, String(decoding: text, as: UTF8.self)))
                skipSpaces()
                guard index == bytes.count || bytes[index] == UInt8(ascii: ";") else { return nil }
            } else {
                parameters.append((name, word(until: [UInt8(ascii: ";")])))
            }
        }
        self.parameters = parameters
    }
}
