import SwitchyardJSON

/// Anthropic tool definitions and `tool_choice` → canonical function tools.
enum MessagesTools {
    /// Client tools become function tools (`input_schema` → `parameters`). Typed tools are
    /// rejected: server tools (web_search, code_execution, ...) run inside Anthropic, and the
    /// Anthropic-defined client tools (bash, text_editor, computer) have schemas only Claude knows.
    static func tools(_ items: [JSONValue], path: String) throws(TranslationError) -> [JSONValue] {
        var tools: [JSONValue] = []
        for (index, item) in items.enumerated() {
            let tool = try FieldReader(item, path: elementPath(path, index))
            if let type = try tool.string("type"), type != "custom" {
                throw .unsupported(tool.path("type"), "the Anthropic tool type \"\(type)\" (server tools and Anthropic-defined tools)")
            }
            try tool.onlyKnownKeys(["type", "name", "description", "input_schema", "cache_control", "strict"])
            guard let schema = tool.value("input_schema"), schema.objectValue != nil else {
                throw .field(tool.path("input_schema"), "field required (a JSON Schema object)")
            }
            var function = JSONObject()
            function["name"] = .string(try tool.requiredString("name"))
            function["description"] = try tool.string("description").map(JSONValue.string)
            function["parameters"] = schema
            if let strict = try tool.bool("strict") { function["strict"] = .bool(strict) }
            tools.append(["type": "function", "function": .object(function)])
        }
        return tools
    }

    /// auto → "auto", any → "required", tool → the named function, none → "none";
    /// `disable_parallel_tool_use: true` → `parallel_tool_calls: false`.
    static func toolChoice(_ choice: FieldReader) throws(TranslationError) -> (choice: JSONValue, parallelToolCalls: Bool?) {
        try choice.onlyKnownKeys(["type", "name", "disable_parallel_tool_use"])
        let parallel = try choice.bool("disable_parallel_tool_use").map { !$0 }
        let type = try choice.requiredString("type")
        switch type {
        case "auto": return ("auto", parallel)
        case "any": return ("required", parallel)
        case "none": return ("none", parallel)
        case "tool":
            let name = try choice.requiredString("name")
            return (["type": "function", "function": ["name": .string(name)]], parallel)
        default:
            throw .field(choice.path("type"), "expected \"auto\", \"any\", \"tool\" or \"none\" (got \"\(type)\")")
        }
    }
}
