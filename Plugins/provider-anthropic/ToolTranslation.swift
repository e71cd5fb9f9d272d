import SwitchyardPluginSDK

/// `tools`, `tool_choice` and `parallel_tool_calls` → Anthropic `tools` and `tool_choice`.
enum ToolTranslation {
    /// Function tools become Anthropic custom tools. `strict` is not carried: Anthropic has no
    /// such flag on the Messages API (README: approximated).
    static func tools(_ tools: JSONValue?) throws(PluginError) -> [JSONValue]? {
        guard let tools, !tools.isNull else { return nil }
        guard let list = tools.arrayValue else { throw .invalid("tools must be an array") }
        var translated: [JSONValue] = []
        for (index, tool) in list.enumerated() {
            let path = "tools[\(index)]"
            guard tool["type"]?.stringValue == "function" else {
                throw unsupported("\(path).type \(tool["type"]?.stringValue ?? "null")", "only function tools translate")
            }
            guard let function = tool["function"], let name = function["name"]?.stringValue else {
                throw .invalid("\(path).function.name must be a string")
            }
            var entry = JSONObject(["name": .string(name)])
            if let description = function["description"]?.stringValue { entry["description"] = .string(description) }
            let parameters = function["parameters"] ?? .null
            entry["input_schema"] = parameters.isNull ? ["type": "object", "properties": [:]] : parameters
            translated.append(.object(entry))
        }
        return translated
    }

    /// nil when nothing needs saying (Anthropic's default is auto with parallel calls allowed).
    static func toolChoice(_ choice: JSONValue?, parallelToolCalls: JSONValue?) throws(PluginError) -> JSONValue? {
        var translated: JSONObject
        switch choice {
        case nil, .null?, .string("auto")?: translated = JSONObject(["type": "auto"])
        case .string("none")?: return ["type": "none"]
        case .string("required")?: translated = JSONObject(["type": "any"])
        case .object(let object)? where object["type"]?.stringValue == "function":
            guard let name = object["function"]?["name"]?.stringValue else { throw .invalid("tool_choice.function.name must be a string") }
            translated = JSONObject(["type": "tool", "name": .string(name)])
        case let other?:
            throw unsupported("tool_choice \(other.jsonText)", "only auto, none, required and a named function translate")
        }
        if parallelToolCalls?.boolValue == false {
            translated["disable_parallel_tool_use"] = true
        } else if choice == nil || choice == .null {
            return nil
        }
        return .object(translated)
    }
}
