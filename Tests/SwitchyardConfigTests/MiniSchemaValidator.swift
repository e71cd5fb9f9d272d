import Foundation

@testable import SwitchyardConfig

/// A JSON-like value built from a YAML tree the way `JSONRendering` types scalars.
indirect enum JSONLike: Equatable {
    case null, bool(Bool), integer(Int), number(Double), string(String)
    case array([JSONLike])
    case object([(String, JSONLike)])

    init(_ node: YAMLNode) {
        switch node.content {
        case .scalar(let text, .quoted): self = .string(text)
        case .scalar(let text, .plain):
            switch ScalarResolution.resolve(text) {
            case .null: self = .null
            case .bool(let value): self = .bool(value)
            case .integer(let digits): self = Int(digits).map(JSONLike.integer) ?? .number(Double(digits) ?? 0)
            case .float(let digits): self = .number(Double(digits) ?? 0)
            case .nonFinite, .string: self = .string(text)
            }
        case .sequence(let items): self = .array(items.map(JSONLike.init))
        case .mapping(let pairs): self = .object(pairs.map { ($0.key.scalarText ?? "", JSONLike($0.value)) })
        }
    }

    subscript(_ key: String) -> JSONLike? {
        if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    var keys: [String] {
        if case .object(let pairs) = self { return pairs.map(\.0) }
        return []
    }

    static func == (a: JSONLike, b: JSONLike) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.integer(let x), .number(let y)), (.number(let y), .integer(let x)): return Double(x) == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

/// Just enough of JSON Schema 2020-12 to check our schema against documents: type, const,
/// properties, additionalProperties, required, propertyNames, items, minItems, uniqueItems,
/// pattern, minLength, minimum, maximum, anyOf, not, and local `$ref`. Unknown keywords are
/// annotations and ignored, as the spec says.
struct MiniSchemaValidator {
    let root: JSONLike

    /// Paths of the failures, empty when `value` is valid.
    func errors(_ value: JSONLike, against schema: JSONLike? = nil, at path: String = "$") -> [String] {
        let schema = schema ?? root
        var failures: [String] = []
        if case .string(let reference)? = schema["$ref"] {
            var target = root
            for part in reference.dropFirst(2).split(separator: "/") { target = target[String(part)] ?? .null }
            failures += errors(value, against: target, at: path)
        }
        if let types = schema["type"] {
            let names: [String]
            if case .array(let items) = types { names = items.compactMap { if case .string(let s) = $0 { s } else { nil } } }
            else if case .string(let name) = types { names = [name] } else { names = [] }
            if !names.contains(where: { Self.matches(value, type: $0) }) { failures.append("\(path): type") }
        }
        if let constant = schema["const"], constant != value { failures.append("\(path): const") }
        if case .array(let options)? = schema["anyOf"], !options.contains(where: { errors(value, against: $0, at: path).isEmpty }) {
            failures.append("\(path): anyOf")
        }
        if let negated = schema["not"], errors(value, against: negated, at: path).isEmpty { failures.append("\(path): not") }
        if case .string(let text) = value {
            if case .string(let pattern)? = schema["pattern"], !Self.search(pattern, in: text) { failures.append("\(path): pattern") }
            if case .integer(let minimum)? = schema["minLength"], text.count < minimum { failures.append("\(path): minLength") }
        }
        if let number = Self.number(value) {
            if let minimum = schema["minimum"].flatMap(Self.number), number < minimum { failures.append("\(path): minimum") }
            if let maximum = schema["maximum"].flatMap(Self.number), number > maximum { failures.append("\(path): maximum") }
        }
        if case .array(let items) = value {
            if case .integer(let minimum)? = schema["minItems"], items.count < minimum { failures.append("\(path): minItems") }
            if schema["uniqueItems"] == .bool(true), items.enumerated().contains(where: { i, a in items[..<i].contains(a) }) {
                failures.append("\(path): uniqueItems")
            }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { failures += errors(item, against: itemSchema, at: "\(path)[\(index)]") }
            }
        }
        if case .object(let pairs) = value {
            let properties = schema["properties"]
            for case .string(let key) in Self.array(schema["required"]) where !pairs.contains(where: { $0.0 == key }) {
                failures.append("\(path): required \(key)")
            }
            for (key, item) in pairs {
                if let names = schema["propertyNames"] { failures += errors(.string(key), against: names, at: "\(path).\(key)") }
                if let propertySchema = properties?[key] {
                    failures += errors(item, against: propertySchema, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] {
                    if additional == .bool(false) { failures.append("\(path).\(key): additionalProperties") }
                    else { failures += errors(item, against: additional, at: "\(path).\(key)") }
                }
            }
        }
        return failures
    }

    private static func matches(_ value: JSONLike, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer), ("number", .number),
            ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("integer", .number(let x)): return x == x.rounded()
        default: return false
        }
    }

    private static func number(_ value: JSONLike) -> Double? {
        switch value {
        case .integer(let x): return Double(x)
        case .number(let x): return x
        default: return nil
        }
    }

    private static func array(_ value: JSONLike?) -> [JSONLike] {
        if case .array(let items)? = value { return items }
        return []
    }

    private static func search(_ pattern: String, in text: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
