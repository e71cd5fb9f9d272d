import SwitchyardConfig
import SwitchyardJSON

/// A conditional or content rule's test of one request.
struct RuleCondition: Sendable {
    let headers: [(name: String, value: String)]
    let fields: [(name: String, value: JSONScalarCondition)]
    let metadata: [(name: String, value: JSONScalarCondition)]
    let pattern: ContentPattern?
    /// Lower-cased (ASCII) keywords.
    let keywords: [[UInt8]]

    init(_ rule: GroupRule) {
        headers = rule.headers
        fields = rule.fields
        metadata = rule.metadata
        pattern = rule.pattern
        keywords = rule.keywords.map { Array($0.utf8).map(Self.lower) }
    }

    /// Conditional: every header, field and metadata condition holds. Content: the regex matches
    /// `text` or one of the keywords is in it (ASCII case-insensitive).
    func holds(_ inputs: RoutingInputs, text: [UInt8]?) -> Bool {
        if let text {
            if let pattern, text.withUnsafeBytes({ pattern.matches($0) }) { return true }
            return keywords.contains { Self.contains(text, $0) }
        }
        for header in headers where inputs.headers[header.name] != header.value { return false }
        if fields.isEmpty && metadata.isEmpty { return true }
        return inputs.body.withUnsafeBytes { raw in
            guard let scan = try? TopLevelScan(raw) else { return false }
            for field in fields {
                guard let range = scan.range(of: field.name), Self.value(raw, range).map({ Self.equal($0, field.value) }) == true else { return false }
            }
            guard !metadata.isEmpty else { return true }
            guard let range = scan.range(of: "metadata"), let object = Self.value(raw, range) else { return false }
            return metadata.allSatisfy { entry in object[entry.name].map { Self.equal($0, entry.value) } == true }
        }
    }

    private static func value(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> JSONValue? {
        var reader = JSONReader(UnsafeRawBufferPointer(rebasing: raw[range]))
        return try? reader.readValue()
    }

    /// JSON scalar equality: numbers by value, strings exactly.
    static func equal(_ value: JSONValue, _ expected: JSONScalarCondition) -> Bool {
        switch (value, expected) {
        case (.string(let a), .string(let b)): a == b
        case (.number(let a), .number(let b)): Double(a) == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// `needle` (lower-cased) occurs in `text`, ignoring ASCII case.
    static func contains(_ text: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, text.count >= needle.count else { return false }
        outer: for start in 0...(text.count - needle.count) {
            for offset in 0..<needle.count where lower(text[start + offset]) != needle[offset] { continue outer }
            return true
        }
        return false
    }
}
