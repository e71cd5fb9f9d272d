import CYAML

/// Reads one YAML document into a `YAMLNode` tree with libyaml's event API.
///
/// What it adds over libyaml: source marks on every node (1-based), anchors and aliases resolved,
/// merge keys (`<<: *base`) applied, duplicate keys rejected, and limits that keep a hostile file
/// from exhausting memory or stack (alias bombs, deep nesting). Runs on the caller's thread and
/// keeps no state between calls.
public enum YAMLReader {
    /// A tree bigger than this after alias expansion is refused ("billion laughs").
    public static let maxExpandedNodes = 100_000
    /// Deeper nesting is refused; later passes walk the tree recursively.
    public static let maxDepth = 128

    /// Parses `bytes` (UTF-8). Returns nil when the stream holds no document (empty file, or only
    /// comments). More than one document is an error.
    public static func parse(_ bytes: [UInt8], sourceName: String) throws(ConfigError) -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw ConfigError("cannot initialise the YAML parser (out of memory)", at: .wholeFile(sourceName))
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)

        // libyaml borrows the input, so the whole parse runs inside the buffer's scope.
        let result: Result<YAMLNode?, ConfigError> = bytes.withUnsafeBufferPointer { buffer in
            var placeholder: UInt8 = 0
            return withUnsafePointer(to: &placeholder) { empty in
                yaml_parser_set_input_string(&parser, buffer.baseAddress ?? empty, buffer.count)
                var builder = TreeBuilder(sourceName: sourceName)
                do throws(ConfigError) {
                    try runEvents(&parser, into: &builder, bytes: buffer)
                    return .success(builder.root)
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }

    private static func runEvents(
        _ parser: inout yaml_parser_t,
        into builder: inout TreeBuilder,
        bytes: UnsafeBufferPointer<UInt8>
    ) throws(ConfigError) {
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                throw YAMLSyntaxError.make(from: parser, sourceName: builder.sourceName, bytes: bytes)
            }
            defer { yaml_event_delete(&event) }
            let mark = YAMLNode.Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                try builder.startDocument(at: mark)
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
                try builder.scalar(
                    text, plain: plain, tag: cString(scalar.tag), anchor: cString(scalar.anchor), at: mark)
            case YAML_SEQUENCE_START_EVENT:
                let start = event.data.sequence_start
                try builder.startCollection(
                    mapping: false, tag: cString(start.tag), anchor: cString(start.anchor), at: mark)
            case YAML_MAPPING_START_EVENT:
                let start = event.data.mapping_start
                try builder.startCollection(
                    mapping: true, tag: cString(start.tag), anchor: cString(start.anchor), at: mark)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                try builder.endCollection()
            case YAML_ALIAS_EVENT:
                try builder.alias(cString(event.data.alias.anchor) ?? "", at: mark)
            case YAML_STREAM_END_EVENT:
                return
            default:
                break  // stream start, document end
            }
        }
    }

    private static func cString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }
}
