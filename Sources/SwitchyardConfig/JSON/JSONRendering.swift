/// Renders a YAML subtree as compact JSON bytes: how a plugin's `config:` crosses the ABI.
///
/// Plain scalars follow the YAML 1.2 core schema (null, booleans, integers, floats); every other
/// scalar, and every mapping key, is a JSON string. Output is UTF-8 (the input was validated).
/// `.inf` and `.nan` have no JSON spelling and are errors; quote them to pass a string.
///
/// Each value's place in the file is kept by its JSON Pointer (`PluginConfigLocations`), so an
/// error found later in the JSON can name the YAML line and column.
enum JSONRendering {
    static func render(_ node: YAMLNode, path: String, file: String) throws(ConfigError) -> [UInt8] {
        try renderWithLocations(node, path: path, file: file).json
    }

    static func renderWithLocations(_ node: YAMLNode, path: String, file: String) throws(ConfigError) -> (json: [UInt8], locations: PluginConfigLocations) {
        var out: [UInt8] = []
        var places = ["": PluginConfigLocations.Place(keyPath: path, value: SourceLocation(file: file, mark: node.mark))]
        try write(node, path: path, pointer: "", file: file, into: &out, places: &places)
        return (out, PluginConfigLocations(places: places))
    }

    private static func write(
        _ node: YAMLNode, path: String, pointer: String, file: String, into out: inout [UInt8],
        places: inout [String: PluginConfigLocations.Place]
    ) throws(ConfigError) {
        switch node.content {
        case .scalar(let text, .quoted):
            writeString(text, into: &out)
        case .scalar(let text, .plain):
            switch ScalarResolution.resolve(text) {
            case .null: out += "null".utf8
            case .bool(let value): out += (value ? "true" : "false").utf8
            case .integer(let number), .float(let number): out += number.utf8
            case .string: writeString(text, into: &out)
            case .nonFinite(let spelling):
                throw ConfigError(
                    "\(spelling) cannot be represented in JSON (quote it to pass a string)",
                    at: SourceLocation(file: file, mark: node.mark), keyPath: path)
            }
        case .sequence(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                let itemPath = ConfigPath.index(path, index), itemPointer = "\(pointer)/\(index)"
                places[itemPointer] = PluginConfigLocations.Place(keyPath: itemPath, value: SourceLocation(file: file, mark: item.mark))
                try write(item, path: itemPath, pointer: itemPointer, file: file, into: &out, places: &places)
            }
            out.append(UInt8(ascii: "]"))
        case .mapping(let pairs):
            out.append(UInt8(ascii: "{"))
            for (index, pair) in pairs.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                let key = pair.key.scalarText ?? ""
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                let memberPath = ConfigPath.child(path, key), memberPointer = pointer + "/" + pointerToken(key)
                places[memberPointer] = PluginConfigLocations.Place(
                    keyPath: memberPath, value: SourceLocation(file: file, mark: pair.value.mark), key: SourceLocation(file: file, mark: pair.key.mark))
                try write(pair.value, path: memberPath, pointer: memberPointer, file: file, into: &out, places: &places)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A member key as a JSON Pointer token (RFC 6901: `~` is `~0`, `/` is `~1`).
    static func pointerToken(_ key: String) -> String {
        key.contains("~") || key.contains("/") ? key.replacing("~", with: "~0").replacing("/", with: "~1") : key
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as short escapes or
    /// `\u00XX`, U+2028/U+2029 escaped (legal JSON, but they break JavaScript embedders).
    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += #"\""#.utf8
            case "\\": out += #"\\"#.utf8
            case "\n": out += #"\n"#.utf8
            case "\r": out += #"\r"#.utf8
            case "\t": out += #"\t"#.utf8
            case "\u{08}": out += #"\b"#.utf8
            case "\u{0C}": out += #"\f"#.utf8
            case "\u{00}"..."\u{1F}", "\u{2028}", "\u{2029}":
                out += #"\u"#.utf8
                let hex = String(scalar.value, radix: 16)
                out += (String(repeating: "0", count: 4 - hex.count) + hex).utf8
            default:
                out += String(scalar).utf8
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
