import CYAML

/// Turns libyaml's error fields into a `ConfigError` that keeps libyaml's own problem text.
enum YAMLSyntaxError {
    static func make(from parser: yaml_parser_t, sourceName: String, bytes: UnsafeBufferPointer<UInt8>) -> ConfigError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        switch parser.error {
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset, not a mark.
            let location = locate(offset: Int(parser.problem_offset), in: bytes, file: sourceName)
            var message = "invalid YAML input: \(problem)"
            if parser.problem_value != -1 {
                let hex = String(UInt32(bitPattern: parser.problem_value), radix: 16, uppercase: true)
                message += " (U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex))"
            }
            return ConfigError(message, at: location)
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR:
            let mark = parser.problem_mark
            var message = "YAML syntax error: \(problem)"
            if let context = parser.context.map({ String(cString: $0) }) {
                let at = parser.context_mark
                message += " (\(context) at \(at.line + 1):\(at.column + 1))"
            }
            return ConfigError(message, at: SourceLocation(file: sourceName, line: Int(mark.line) + 1, column: Int(mark.column) + 1))
        case YAML_MEMORY_ERROR:
            return ConfigError("YAML parser out of memory", at: .wholeFile(sourceName))
        default:
            return ConfigError("YAML error: \(problem)", at: .wholeFile(sourceName))
        }
    }

    /// Line and column (in characters) of a byte offset.
    static func locate(offset: Int, in bytes: UnsafeBufferPointer<UInt8>, file: String) -> SourceLocation {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1  // count the lead byte of each character only
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }
}
