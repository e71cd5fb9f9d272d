import SwitchyardJSON

/// Responses tools, `tool_choice` and `text.format` → their canonical chat forms.
enum ResponsesTools {
    /// Function tools only: built-in tools (web_search, file_search, computer_use,
    /// code_interpreter, mcp, image_generation, ...) run inside OpenAI and have no canonical form.
    static func tools(_ items: [JSONValue], path: String) throws(TranslationError) -> [JSONValue] {
        var tools: [JSONValue] = []
        for (index, item) in items.enumerated() {
            let tool = try FieldReader(item, path: elementPath(path, index))
            let type = try tool.requiredString("type")
            guard type == "function" else { throw .unsupported(tool.path("type"), "the built-in tool \"\(type)\"") }
            try tool.onlyKnownKeys(["type", "name", "description", "parameters", "strict"])
            var function = JSONObject()
            function["name"] = .string(try tool.requiredString("name"))
            function["description"] = try tool.string("description").map(JSONValue.string)
            if let parameters = try tool.object("parameters") { function["parameters"] = .object(parameters.object) }
            if let strict = try tool.bool("strict") { function["strict"] = .bool(strict) }
            tools.append(["type": "function", "function": .object(function)])
        }
        return tools
    }

    /// "auto" | "none" | "required" pass through; `{"type":"function","name"}` names a function.
    static func toolChoice(_ choice: JSONValue, path: String) throws(TranslationError) -> JSONValue {
        if let mode = choice.stringValue {
            guard ["auto", "none", "required"].contains(mode) else {
                throw .field(path, "expected \"auto\", \"none\", \"required\" or a function (got \"\(mode)\")")
            }
            return choice
        }
        let reader = try FieldReader(choice, path: path)
        let type = try reader.requiredString("type")
        guard type == "function" else { throw .unsupported(reader.path("type"), "tool_choice of type \"\(type)\"") }
        try reader.onlyKnownKeys(["type", "name"])
        return ["type": "function", "function": ["name": .string(try reader.requiredString("name"))]]
    }

    /// `text.format` → `response_format`: json_schema moves its fields under `json_schema`.
    static func responseFormat(_ format: FieldReader) throws(TranslationError) -> JSONValue? {
        let type = try format.requiredString("type")
        switch type {
        case "text":
            return nil
        case "json_object":
            return ["type": "json_object"]
        case "json_schema":
            try format.onlyKnownKeys(["type", "name", "schema", "strict", "description"])
            guard let schema = try format.object("schema") else { throw .field(format.path("schema"), "field required") }
            var inner = JSONObject()
            inner["name"] = .string(try format.requiredString("name"))
            inner["description"] = try format.string("description").map(JSONValue.string)
            inner["schema"] = .object(schema.object)
            if let strict = try format.bool("strict") { inner["strict"] = .bool(strict) }
            return ["type": "json_schema", "json_schema": .object(inner)]
        default:
            throw .field(format.path("type"), "expected \"text\", \"json_object\" or \"json_schema\" (got \"\(type)\")")
        }
    }
}
