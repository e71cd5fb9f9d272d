import SwitchyardCore
import SwitchyardJSON

/// A plugin's `config_schema` (the JSON Schema in its manifest for one instance's `config:`),
/// checked once when the library loads and applied by the host to every entry's config before
/// `instance_new`, so a typo or a wrong type is reported with its place in the YAML file.
///
/// The subset of JSON Schema 2020-12 the host enforces: `type` (one name or a list), `enum`,
/// `const`; `properties`, `required`, `additionalProperties` (false or a schema),
/// `propertyNames`; `items` (one schema for every item), `minItems`, `maxItems`, `uniqueItems`;
/// `minLength`, `maxLength`, `pattern` (Swift `Regex` syntax, which agrees with ECMA-262 for
/// ordinary patterns; it searches, anchor with `^…$`); `minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum`; `anyOf`, `oneOf`, `allOf`, `not`; `$ref` to a place
/// in the same schema (`#/$defs/name`); `true` and `false` as schemas. `description`, `title`,
/// `default`, `examples`, `format`, `deprecated`, `$comment`, `$schema`, `$id`, `$defs` and
/// `definitions` are annotations. Any other keyword makes the schema malformed: a keyword the
/// host would silently skip is a check the plugin's author believes in and nobody makes.
///
/// Immutable; `violation(in:)` is thread-safe.
public struct ConfigSchema: @unchecked Sendable {  // immutable; Regex is not declared Sendable
    /// The schema as the manifest wrote it.
    public let json: JSONValue
    private let patterns: [String: Regex<AnyRegexOutput>]

    /// What is wrong with a schema, at a JSON Pointer into it (`/properties/base_url/type`).
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public let pointer: String
        public let message: String
        public var description: String { pointer.isEmpty ? message : "at \(pointer): \(message)" }
    }

    /// Why a config does not match. `pointer` is the JSON Pointer of the offending value
    /// (`""` is the whole config, `/headers/X-Team`, `/beta/0`); `atKey` says the member's key
    /// itself is at fault (an unknown key), not its value.
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        public let pointer: String
        public let atKey: Bool
        public let message: String

        public init(pointer: String, atKey: Bool, message: String) {
            self.pointer = pointer
            self.atKey = atKey
            self.message = message
        }

        public var description: String { "\(pointer.isEmpty ? "(config)" : pointer): \(message)" }
    }

    static let annotations: Set<String> = [
        "description", "title", "default", "examples", "format", "deprecated", "readOnly", "writeOnly", "$comment",
        "$schema", "$id", "$defs", "definitions",
    ]
    static let typeNames: Set<String> = ["null", "boolean", "integer", "number", "string", "array", "object"]
    private static let maximumDepth = 64

    /// Checks the schema itself (every keyword known and well-formed, every pattern compiles,
    /// every `$ref` resolves).
    public init(_ json: JSONValue) throws(Malformed) {
        var patterns: [String: Regex<AnyRegexOutput>] = [:]
        try Self.check(json, at: "", root: json, patterns: &patterns)
        self.json = json
        self.patterns = patterns
    }

    /// The first place where `config` does not match, in document order; nil when it matches.
    public func violation(in config: JSONValue) -> Violation? {
        check(config, against: json, at: "", depth: 0)
    }

    // MARK: checking a config

    private func check(_ value: JSONValue, against schema: JSONValue, at pointer: String, depth: Int) -> Violation? {
        guard case .object(let keywords) = schema else {
            return schema == .bool(false) ? Violation(pointer: pointer, atKey: false, message: "no value is allowed here") : nil
        }
        guard depth < Self.maximumDepth else { return Violation(pointer: pointer, atKey: false, message: "the schema nests too deep here") }
        let fail = { (message: String) in Violation(pointer: pointer, atKey: false, message: message) }
        if let reference = keywords["$ref"]?.stringValue, let target = Self.resolve(reference, in: json),
           let violation = check(value, against: target, at: pointer, depth: depth + 1) {
            return violation
        }
        if let types = keywords["type"], !Self.names(types).contains(where: { Self.matches(value, type: $0) }) {
            let hint = value.isNumberOrBool && Self.names(types).contains("string") ? " (quote it to pass a string)" : ""
            return fail("expected \(Self.names(types).map(Self.article).joined(separator: " or ")), got \(Self.describe(value))\(hint)")
        }
        if let options = keywords["enum"]?.arrayValue, !options.contains(where: { Self.equal($0, value) }) {
            let guess = value.stringValue.flatMap { Suggestion.closest(to: $0, in: options.compactMap(\.stringValue)) }
            return fail("expected one of \(options.map(\.jsonText).joined(separator: ", ")), got \(Self.describe(value))"
                + (guess.map { " (did you mean \"\($0)\"?)" } ?? ""))
        }
        if let constant = keywords["const"], !Self.equal(constant, value) { return fail("expected \(constant.jsonText), got \(Self.describe(value))") }
        switch value {
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minimum = keywords["minLength"]?.intValue, length < minimum { return fail("must be at least \(minimum) characters long") }
            if let maximum = keywords["maxLength"]?.intValue, length > maximum { return fail("must be at most \(maximum) characters long") }
            if let pattern = keywords["pattern"]?.stringValue, let regex = patterns[pattern], !text.contains(regex) {
                return fail("\(Self.describe(value)) does not match the pattern \(pattern)")
            }
        case .number(let text):
            if let violation = checkBounds(Double(text) ?? 0, keywords, fail) { return violation }
        case .array(let items):
            if let minimum = keywords["minItems"]?.intValue, items.count < minimum { return fail("must have at least \(minimum) item\(minimum == 1 ? "" : "s")") }
            if let maximum = keywords["maxItems"]?.intValue, items.count > maximum { return fail("must have at most \(maximum) item\(maximum == 1 ? "" : "s")") }
            if let itemSchema = keywords["items"] {
                for (index, item) in items.enumerated() {
                    if let violation = check(item, against: itemSchema, at: "\(pointer)/\(index)", depth: depth + 1) { return violation }
                }
            }
            if keywords["uniqueItems"] == .bool(true) {
                for index in items.indices {
                    if let first = items[..<index].firstIndex(where: { Self.equal($0, items[index]) }) {
                        return Violation(pointer: "\(pointer)/\(index)", atKey: false, message: "repeats item \(first)")
                    }
                }
            }
        case .object(let members):
            if let violation = checkMembers(members, keywords, at: pointer, depth: depth) { return violation }
        case .null, .bool:
            break
        }
        return checkCombinators(value, keywords, at: pointer, depth: depth)
    }

    private func checkBounds(_ number: Double, _ keywords: JSONObject, _ fail: (String) -> Violation) -> Violation? {
        let text = { (bound: JSONValue) in bound.jsonText }
        if let bound = keywords["minimum"], let limit = bound.doubleValue, number < limit { return fail("must be at least \(text(bound))") }
        if let bound = keywords["maximum"], let limit = bound.doubleValue, number > limit { return fail("must be at most \(text(bound))") }
        if let bound = keywords["exclusiveMinimum"], let limit = bound.doubleValue, number <= limit { return fail("must be greater than \(text(bound))") }
        if let bound = keywords["exclusiveMaximum"], let limit = bound.doubleValue, number >= limit { return fail("must be less than \(text(bound))") }
        return nil
    }

    /// Members in document order (an unknown key is reported before a required key it may be a
    /// misspelling of), then the required keys.
    private func checkMembers(_ members: JSONObject, _ keywords: JSONObject, at pointer: String, depth: Int) -> Violation? {
        let properties = keywords["properties"]?.objectValue ?? JSONObject()
        for (key, member) in members {
            let memberPointer = pointer + "/" + Self.escape(key)
            if let names = keywords["propertyNames"], let violation = check(.string(key), against: names, at: memberPointer, depth: depth + 1) {
                return Violation(pointer: memberPointer, atKey: true, message: "key \"\(key)\": \(violation.message)")
            }
            if let schema = properties[key] {
                if let violation = check(member, against: schema, at: memberPointer, depth: depth + 1) { return violation }
            } else if keywords["additionalProperties"] == .bool(false) {
                let known = properties.keys
                let message = Suggestion.closest(to: key, in: known).map { "unknown key (did you mean \"\($0)\"?)" }
                    ?? (known.isEmpty ? "unknown key (this plugin takes no config keys)" : "unknown key (known keys: \(known.joined(separator: ", ")))")
                return Violation(pointer: memberPointer, atKey: true, message: message)
            } else if let schema = keywords["additionalProperties"], let violation = check(member, against: schema, at: memberPointer, depth: depth + 1) {
                return violation
            }
        }
        for case .string(let key) in keywords["required"]?.arrayValue ?? [] where members[key] == nil {
            return Violation(pointer: pointer, atKey: false, message: "missing required key \"\(key)\"")
        }
        return nil
    }

    private func checkCombinators(_ value: JSONValue, _ keywords: JSONObject, at pointer: String, depth: Int) -> Violation? {
        for schema in keywords["allOf"]?.arrayValue ?? [] {
            if let violation = check(value, against: schema, at: pointer, depth: depth + 1) { return violation }
        }
        if let options = keywords["anyOf"]?.arrayValue {
            let failures = options.map { check(value, against: $0, at: pointer, depth: depth + 1) }
            if failures.contains(where: { $0 == nil }) == false { return Self.noneMatched(failures.compactMap { $0 }, at: pointer) }
        }
        if let options = keywords["oneOf"]?.arrayValue {
            let failures = options.map { check(value, against: $0, at: pointer, depth: depth + 1) }
            let matched = failures.filter { $0 == nil }.count
            if matched == 0 { return Self.noneMatched(failures.compactMap { $0 }, at: pointer) }
            if matched > 1 { return Violation(pointer: pointer, atKey: false, message: "matches more than one of the allowed forms") }
        }
        if let negated = keywords["not"], check(value, against: negated, at: pointer, depth: depth + 1) == nil {
            return Violation(pointer: pointer, atKey: false, message: "\(Self.describe(value)) is not allowed here")
        }
        return nil
    }

    /// Every alternative failed: the one that got furthest into the value (the form the author
    /// meant), or all of them when none got past the value itself.
    private static func noneMatched(_ failures: [Violation], at pointer: String) -> Violation {
        if let deepest = failures.max(by: { $0.pointer.count < $1.pointer.count }), deepest.pointer.count > pointer.count { return deepest }
        return Violation(pointer: pointer, atKey: false, message: "matches none of the allowed forms (\(failures.map(\.message).joined(separator: "; or ")))")
    }

    // MARK: checking the schema

    private static func check(_ schema: JSONValue, at pointer: String, root: JSONValue, patterns: inout [String: Regex<AnyRegexOutput>]) throws(Malformed) {
        if case .bool = schema { return }
        guard case .object(let keywords) = schema else { throw Malformed(pointer: pointer, message: "a schema must be an object or a boolean") }
        for (keyword, value) in keywords {
            let here = pointer + "/" + escape(keyword)
            let bad = { (message: String) in Malformed(pointer: here, message: message) }
            switch keyword {
            case "$defs", "definitions":
                guard case .object(let definitions) = value else { throw bad("must be an object of schemas") }
                for (name, definition) in definitions { try check(definition, at: here + "/" + escape(name), root: root, patterns: &patterns) }
            case _ where annotations.contains(keyword):
                continue
            case "type":
                let names = value.stringValue.map { [$0] } ?? value.arrayValue?.compactMap(\.stringValue) ?? []
                guard !names.isEmpty, names.count == (value.arrayValue?.count ?? 1), names.allSatisfy(typeNames.contains) else {
                    throw bad("must be one of \(typeNames.sorted().joined(separator: ", ")), or a list of them")
                }
            case "enum":
                guard let options = value.arrayValue, !options.isEmpty else { throw bad("must be a non-empty array") }
            case "const":
                continue
            case "properties":
                guard case .object(let properties) = value else { throw bad("must be an object of schemas") }
                for (name, property) in properties { try check(property, at: here + "/" + escape(name), root: root, patterns: &patterns) }
            case "required":
                guard let names = value.arrayValue, names.allSatisfy({ $0.stringValue != nil }) else { throw bad("must be an array of key names") }
            case "additionalProperties", "propertyNames", "items", "not":
                if keyword == "items", value.arrayValue != nil { throw bad("must be one schema for every item (tuple forms are not supported)") }
                try check(value, at: here, root: root, patterns: &patterns)
            case "anyOf", "oneOf", "allOf":
                guard let options = value.arrayValue, !options.isEmpty else { throw bad("must be a non-empty array of schemas") }
                for (index, option) in options.enumerated() { try check(option, at: "\(here)/\(index)", root: root, patterns: &patterns) }
            case "minLength", "maxLength", "minItems", "maxItems":
                guard let count = value.intValue, count >= 0 else { throw bad("must be a non-negative integer") }
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                guard case .number = value else { throw bad("must be a number") }
            case "uniqueItems":
                guard value.boolValue != nil else { throw bad("must be true or false") }
            case "pattern":
                guard let pattern = value.stringValue else { throw bad("must be a string") }
                do { patterns[pattern] = try Regex(pattern) } catch { throw bad("is not a valid regular expression: \(error)") }
            case "$ref":
                guard let reference = value.stringValue, let target = resolve(reference, in: root) else {
                    throw bad("must point into this schema (\"#/$defs/name\"); \(value.jsonText) does not")
                }
                guard target.objectValue != nil || target.boolValue != nil else { throw bad("\(value.jsonText) does not point at a schema") }
            default:
                throw bad("unsupported keyword (the host checks type, enum, const, properties, required, additionalProperties, "
                    + "propertyNames, items, minItems, maxItems, uniqueItems, minLength, maxLength, pattern, minimum, maximum, "
                    + "exclusiveMinimum, exclusiveMaximum, anyOf, oneOf, allOf, not and $ref)")
            }
        }
    }

    /// A `#`-relative JSON Pointer into `root`.
    private static func resolve(_ reference: String, in root: JSONValue) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var target = root
        for part in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let token = String(part).replacing("~1", with: "/").replacing("~0", with: "~")
            if let member = target[token] { target = member } else if let index = Int(token), let item = target[index] { target = item } else { return nil }
        }
        return target
    }

    // MARK: values

    /// A member key as a JSON Pointer token.
    public static func escape(_ key: String) -> String {
        key.contains("~") || key.contains("/") ? key.replacing("~", with: "~0").replacing("/", with: "~1") : key
    }

    private static func names(_ types: JSONValue) -> [String] {
        types.stringValue.map { [$0] } ?? types.arrayValue?.compactMap(\.stringValue) ?? []
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let text)): Double(text).map { $0 == $0.rounded(.towardZero) && $0.isFinite } ?? false
        default: false
        }
    }

    /// JSON equality: numbers by value, objects regardless of key order.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y || (Double(x) != nil && Double(x) == Double(y))
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.entries.allSatisfy { (key: String, value: JSONValue) -> Bool in
                guard let other = y[key] else { return false }
                return equal(value, other)
            }
        default: return a == b
        }
    }

    private static func article(_ type: String) -> String {
        switch type {
        case "null": "null"
        case "integer", "object", "array": "an \(type)"
        default: "a \(type)"
        }
    }

    /// How a value reads in a message: `the string "x"`, `the number 42`, `true`, `an object`.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text): return "the number \(text)"
        case .string(let text):
            let shown = text.unicodeScalars.count > 60 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(57))) + "..." : text
            return "the string \(JSONValue.string(shown).jsonText)"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

private extension JSONValue {
    var isNumberOrBool: Bool {
        switch self {
        case .number, .bool: true
        default: false
        }
    }
}
