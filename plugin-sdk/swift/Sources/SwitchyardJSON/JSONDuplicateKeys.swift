extension JSONValue {
    /// The JSON Pointer of the first object (depth first) that names a key twice, with that key;
    /// nil when no object does. Parsers disagree on duplicates (this reader keeps both, lookups
    /// see the first, most upstreams the last), so a document inspected on the gateway's behalf
    /// must not have any: what was inspected and what is sent could differ.
    public func firstDuplicateKey() -> String? {
        switch self {
        case .object(let object):
            var seen = Set<String>()
            for (key, value) in object {
                if !seen.insert(key).inserted { return "/" + Self.escaped(key) }
                if let inner = value.firstDuplicateKey() { return "/" + Self.escaped(key) + inner }
            }
            return nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let inner = item.firstDuplicateKey() { return "/\(index)" + inner }
            }
            return nil
        default:
            return nil
        }
    }

    private static func escaped(_ key: String) -> String {
        var text = ""
        for character in key {
            switch character {
            case "~": text += "~0"
            case "/": text += "~1"
            default: text.append(character)
            }
        }
        return text
    }
}
