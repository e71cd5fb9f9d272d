import SwitchyardPluginSDK

/// Canonical `tools`, `tool_choice` and `parallel_tool_calls` → Gemini `tools` and `toolConfig`.
enum Tools {
    /// `[{type:"function", function:{name, description, parameters}}]` → one Tool holding every
    /// declaration. `strict` is accepted without effect: Gemini validates calls against the
    /// declared schema on its own terms (README: approximated).
    static func declarations(_ tools: JSONValue?) throws(PluginError) -> JSONValue? {
        guard let tools, !tools.isNull else { return nil }
        guard let list = tools.arrayValue else { throw Rejection.invalid("tools", "must be an array") }
        guard !list.isEmpty else { return nil }
        var declarations: [JSONValue] = []
        for (index, tool) in list.enumerated() {
            let field = "tools[\(index)]"
            guard tool["type"]?.stringValue == "function" else {
                throw Rejection.unsupported(field + ".type", "only function tools (got \"\(tool["type"]?.stringValue ?? "(missing)")\")")
            }
            guard let name = tool["function"]?["name"]?.stringValue else { throw Rejection.invalid(field + ".function.name", "is required") }
            var declaration = JSONObject([(key: "name", value: .string(name))])
            if let description = tool["function"]?["description"]?.stringValue { declaration["description"] = .string(description) }
            if let parameters = tool["function"]?["parameters"], !parameters.isNull {
                let schema = try SchemaApproximation.gemini(parameters, field: field + ".function.parameters")
                // Gemini refuses an OBJECT schema without properties; a function with no
                // parameters is declared without a schema instead.
                if schema["properties"]?.objectValue?.count ?? 0 > 0 || schema["type"]?.stringValue?.lowercased() != "object" {
                    declaration["parameters"] = schema
                }
            }
            declarations.append(.object(declaration))
        }
        return [["functionDeclarations": .array(declarations)]]
    }

    /// tool_choice auto / none / required / {function:{name}} / allowed_tools → functionCallingConfig.
    static func config(_ choice: JSONValue?) throws(PluginError) -> JSONValue? {
        guard let choice, !choice.isNull else { return nil }
        let config: JSONValue
        switch choice.stringValue {
        case "auto": config = ["mode": "AUTO"]
        case "none": config = ["mode": "NONE"]
        case "required": config = ["mode": "ANY"]
        case .some(let other): throw Rejection.invalid("tool_choice", "unknown value \"\(other)\"")
        case nil:
            config = try objectChoice(choice)
        }
        return ["functionCallingConfig": config]
    }

    private static func objectChoice(_ choice: JSONValue) throws(PluginError) -> JSONValue {
        switch choice["type"]?.stringValue {
        case "function":
            guard let name = choice["function"]?["name"]?.stringValue else { throw Rejection.invalid("tool_choice.function.name", "is required") }
            return ["mode": "ANY", "allowedFunctionNames": [.string(name)]]
        case "allowed_tools":
            let allowed = choice["allowed_tools"]
            // Gemini restricts names only in ANY mode; "auto" over a subset has no equivalent.
            guard allowed?["mode"]?.stringValue == "required" else {
                throw Rejection.unsupported("tool_choice.allowed_tools.mode", "Gemini can restrict function names only when a call is required")
            }
            var names: [JSONValue] = []
            for tool in allowed?["tools"]?.arrayValue ?? [] {
                guard let name = tool["function"]?["name"]?.stringValue else {
                    throw Rejection.unsupported("tool_choice.allowed_tools.tools", "only function tools")
                }
                names.append(.string(name))
            }
            return ["mode": "ANY", "allowedFunctionNames": .array(names)]
        case let other:
            throw Rejection.unsupported("tool_choice.type", "\"\(other ?? "(missing)")\"")
        }
    }

    /// Gemini may always return several calls in one turn and has no switch to forbid it.
    static func checkParallel(_ value: JSONValue?) throws(PluginError) {
        guard let value, !value.isNull else { return }
        guard let flag = value.boolValue else { throw Rejection.invalid("parallel_tool_calls", "must be a boolean") }
        if !flag { throw Rejection.unsupported("parallel_tool_calls", "false cannot be promised: Gemini may return several function calls in one turn") }
    }
}
