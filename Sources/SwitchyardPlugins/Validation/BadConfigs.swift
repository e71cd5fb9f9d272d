import SwitchyardJSON

/// Configs a plugin must refuse, derived from its `config_schema` and a config it accepts: not an
/// object; each declared property with a value of the wrong type; each required property
/// missing; an unknown property when `additionalProperties` is false. The gateway checks a
/// declared schema before `instance_new` (the SDK README promises it), so a case the schema
/// refuses is the host's to refuse; the plugin must refuse the others (SY_E_CONFIG with a
/// message) and must survive all of them.
public enum BadConfigs {
    public struct Case: Sendable, Equatable {
        public var name: String
        public var config: JSONValue
    }

    public static func derive(schema: JSONValue?, good: JSONValue) -> [Case] {
        var cases: [Case] = [
            Case(name: "not an object (an array)", config: .array([])),
            Case(name: "not an object (a string)", config: .string("config")),
            Case(name: "not an object (null)", config: .null),
        ]
        guard let schema, let keywords = schema.objectValue else { return cases }
        let base = good.objectValue ?? JSONObject()
        let properties = keywords["properties"]?.objectValue ?? JSONObject()
        for (key, property) in properties {
            guard let wrong = wrongValue(for: property) else { continue }
            var config = base
            config[key] = wrong
            cases.append(Case(name: "\"\(key)\" of the wrong type (\(ConfigSchema.describe(wrong)))", config: .object(config)))
        }
        for case .string(let key) in keywords["required"]?.arrayValue ?? [] where base[key] != nil {
            var config = base
            config[key] = nil
            cases.append(Case(name: "required \"\(key)\" missing", config: .object(config)))
        }
        if keywords["additionalProperties"] == .bool(false) {
            var config = base
            var unknown = "validator_unknown_key"
            while properties[unknown] != nil { unknown += "_" }
            config[unknown] = .bool(true)
            cases.append(Case(name: "unknown key \"\(unknown)\"", config: .object(config)))
        }
        return cases
    }

    /// A value no type the property allows accepts; nil when the property takes anything (no
    /// `type`, or every type).
    static func wrongValue(for property: JSONValue) -> JSONValue? {
        let types: [String]
        switch property["type"] {
        case .string(let name)?: types = [name]
        case .array(let names)?: types = names.compactMap(\.stringValue)
        default: return nil
        }
        let candidates: [(type: String, value: JSONValue)] = [
            ("object", .object(JSONObject([("validator", .bool(true))]))), ("array", .array([.number(1)])), ("boolean", .bool(true)),
            ("string", .string("validator")), ("integer", .number("7")), ("number", .number("7.5")), ("null", .null),
        ]
        return candidates.first { candidate in
            !types.contains(candidate.type) && !(candidate.type == "integer" && types.contains("number"))
        }?.value
    }
}
