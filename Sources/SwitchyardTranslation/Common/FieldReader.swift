import SwitchyardJSON

/// Typed reads from one JSON object the client sent. Every failure is a 400 naming the field by
/// its full path (`messages[2].content[0].type`), because "invalid request" alone sends people
/// hunting. A JSON `null` reads as absent, as both upstream APIs treat it.
struct FieldReader {
    let object: JSONObject
    /// Path of this object; empty for the request body itself.
    let path: String

    init(_ value: JSONValue, path: String) throws(TranslationError) {
        guard let object = value.objectValue else {
            throw .field(path.isEmpty ? "body" : path, "expected a JSON object")
        }
        self.object = object
        self.path = path
    }

    func path(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The value at `key`, with `null` treated as absent.
    func value(_ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func string(_ key: String) throws(TranslationError) -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.stringValue else { throw .field(path(key), "expected a string") }
        return text
    }

    func requiredString(_ key: String) throws(TranslationError) -> String {
        guard let text = try string(key) else { throw .field(path(key), "field required") }
        return text
    }

    func int(_ key: String) throws(TranslationError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.intValue else { throw .field(path(key), "expected an integer") }
        return number
    }

    /// A number kept as the client wrote it (`0.70` stays `0.70`).
    func number(_ key: String) throws(TranslationError) -> JSONValue? {
        guard let value = value(key) else { return nil }
        guard case .number = value else { throw .field(path(key), "expected a number") }
        return value
    }

    func bool(_ key: String) throws(TranslationError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.boolValue else { throw .field(path(key), "expected a boolean") }
        return flag
    }

    func array(_ key: String) throws(TranslationError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard let items = value.arrayValue else { throw .field(path(key), "expected an array") }
        return items
    }

    func requiredArray(_ key: String) throws(TranslationError) -> [JSONValue] {
        guard let items = try array(key) else { throw .field(path(key), "field required") }
        return items
    }

    func object(_ key: String) throws(TranslationError) -> FieldReader? {
        guard let value = value(key) else { return nil }
        return try FieldReader(value, path: path(key))
    }

    /// Rejects a present field the translated route cannot carry.
    func reject(_ key: String, _ what: String) throws(TranslationError) {
        if has(key) { throw .unsupported(path(key), what) }
    }

    /// Rejects any key outside `known`: a field we do not understand is never silently dropped.
    func onlyKnownKeys(_ known: Set<String>) throws(TranslationError) {
        for key in object.keys where !known.contains(key) {
            throw .field(path(key), "unknown field (not supported through a translated route)")
        }
    }
}

/// `base[index]`, the path of an array element.
func elementPath(_ base: String, _ index: Int) -> String { "\(base)[\(index)]" }
