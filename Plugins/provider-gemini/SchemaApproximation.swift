import SwitchyardPluginSDK

/// A JSON Schema (tool parameters, `response_format.json_schema.schema`) approximated as
/// Gemini's `Schema`, an OpenAPI 3.0 subset. Approximation, not translation:
///
/// - kept: the keys Gemini's Schema has (type, format, description, enum, properties, required,
///   items, anyOf, nullable, min/max bounds, pattern, title, default, example, propertyOrdering);
/// - rewritten: `type: [T, "null"]` → `type: T, nullable: true` (several types → `anyOf`),
///   `oneOf` → `anyOf` (Gemini has no exclusive choice), `const` → one-value `enum`, local
///   `$ref`s to `#/$defs/…` or `#/definitions/…` inlined;
/// - stripped (Gemini rejects them): `additionalProperties`, `$schema`, `$id`, `$defs`,
///   `definitions`, `allOf`, `not`, `if/then/else`, `examples`, `patternProperties`, and
///   `format`s Gemini does not know — the model is then less constrained than the schema says;
/// - rejected: recursive `$ref`s (Gemini's Schema cannot express recursion) and remote `$ref`s.
enum SchemaApproximation {
    static func gemini(_ schema: JSONValue, field: String) throws(PluginError) -> JSONValue {
        try convert(schema, root: schema, field: field, depth: 0)
    }

    private static let keptKeys: Set<String> = [
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties",
        "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example",
        "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
    ]
    private static let knownFormats: [String: Set<String>] = [
        "string": ["enum", "date-time"], "number": ["float", "double"], "integer": ["int32", "int64"],
    ]
    private static let maximumDepth = 32

    private static func convert(_ schema: JSONValue, root: JSONValue, field: String, depth: Int) throws(PluginError) -> JSONValue {
        guard depth < maximumDepth else { throw Rejection.unsupported(field, "schema nests deeper than \(maximumDepth) levels or refers to itself") }
        guard var object = schema.objectValue else { return schema }  // `true`/`false` schemas pass untouched
        if let reference = object["$ref"]?.stringValue {
            let target = try resolve(reference, root: root, field: field)
            return try convert(target, root: root, field: field, depth: depth + 1)
        }
        if object["anyOf"] == nil, let oneOf = object["oneOf"] { object["anyOf"] = oneOf }
        if object["enum"] == nil, let constant = object["const"] { object["enum"] = [constant] }

        var result = JSONObject()
        for (key, value) in object where keptKeys.contains(key) {
            switch key {
            case "properties":
                var properties = JSONObject()
                for (name, property) in value.objectValue ?? JSONObject() {
                    properties[name] = try convert(property, root: root, field: "\(field).properties.\(name)", depth: depth + 1)
                }
                result[key] = .object(properties)
            case "items":
                result[key] = try convert(value, root: root, field: field + ".items", depth: depth + 1)
            case "anyOf":
                var options: [JSONValue] = []
                for (index, option) in (value.arrayValue ?? []).enumerated() {
                    options.append(try convert(option, root: root, field: "\(field).anyOf[\(index)]", depth: depth + 1))
                }
                result[key] = .array(options)
            case "type":
                applyType(value, to: &result)
            default:
                result[key] = value
            }
        }
        if let format = result["format"]?.stringValue {
            let type = result["type"]?.stringValue?.lowercased() ?? ""
            if knownFormats[type]?.contains(format) != true { result["format"] = nil }
        }
        return .object(result)
    }

    /// `"string"` stays; `["string","null"]` → nullable string; several types → anyOf.
    private static func applyType(_ value: JSONValue, to result: inout JSONObject) {
        guard let types = value.arrayValue?.compactMap(\.stringValue) else {
            result["type"] = value
            return
        }
        let concrete = types.filter { $0 != "null" }
        if concrete.count == 1 {
            result["type"] = .string(concrete[0])
        } else if concrete.count > 1, result["anyOf"] == nil {
            result["anyOf"] = .array(concrete.map { ["type": .string($0)] })
        }
        if concrete.count != types.count { result["nullable"] = true }
    }

    private static func resolve(_ reference: String, root: JSONValue, field: String) throws(PluginError) -> JSONValue {
        for prefix in ["#/$defs/", "#/definitions/"] where reference.hasPrefix(prefix) {
            let name = String(reference.dropFirst(prefix.count))
            if let target = root[String(prefix.dropFirst(2).dropLast())]?[name] { return target }
        }
        throw Rejection.unsupported(field + ".$ref", "only local references to #/$defs or #/definitions can be inlined (\"\(reference)\")")
    }
}
