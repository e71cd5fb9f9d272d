/// Strict UTF-8 validation that reports where the first bad byte is.
///
/// libyaml checks encoding too, but reports a byte offset; doing it first gives the same
/// line:column format as every other error and a clearer message.
enum UTF8Check {
    static func validate(_ bytes: [UInt8], file: String) throws(ConfigError) {
        var index = 0
        var line = 1
        var column = 1
        while index < bytes.count {
            let length = sequenceLength(bytes, at: index)
            guard length > 0 else {
                let hex = String(bytes[index], radix: 16, uppercase: true)
                throw ConfigError(
                    "invalid UTF-8 (byte 0x\(hex.count == 1 ? "0" + hex : hex))",
                    at: SourceLocation(file: file, line: line, column: column))
            }
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += length
        }
    }

    /// Length of the well-formed sequence at `index`, or 0 (Unicode table 3-7: no overlongs,
    /// no surrogates, nothing above U+10FFFF).
    private static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            index + offset < bytes.count && range.contains(bytes[index + offset])
        }
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return continuation(1) ? 2 : 0
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : 0
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default: return 0
        }
    }
}
