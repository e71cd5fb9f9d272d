import SwitchyardPluginSDK

/// The RFC 6902 operations that put the configured system message into a chat request's
/// `messages`, or nil when the request already has it where the mode puts it (so a request
/// inspected again, e.g. for a fallback attempt after the patch, is not given a second copy).
///
///  - prepend: `add /messages/0`.
///  - append: `add /messages/N`, N = the number of leading system/developer messages.
///  - replace: `remove /messages/i` for each system/developer message, from the last one
///    backwards (so the indexes still hold), then `add /messages/0`.
enum SystemPromptPatch {
    static func operations(messages: [JSONValue], mode: SystemPromptConfig.Mode, text: String) -> [UInt8]? {
        let instruction: JSONValue = ["role": "system", "content": .string(text)]
        let isInstruction = { (message: JSONValue) in ["system", "developer"].contains(message["role"]?.stringValue ?? "") }
        let isOurs = { (message: JSONValue?) in message?["role"]?.stringValue == "system" && message?["content"]?.stringValue == text }
        var operations: [JSONValue] = []
        switch mode {
        case .prepend:
            if isOurs(messages.first) { return nil }
            operations.append(add(instruction, at: 0))
        case .append:
            let leading = messages.prefix(while: isInstruction).count
            if leading > 0, isOurs(messages[leading - 1]) { return nil }
            operations.append(add(instruction, at: leading))
        case .replace:
            let instructions = messages.indices.filter { isInstruction(messages[$0]) }
            if instructions == [0], isOurs(messages[0]) { return nil }
            for index in instructions.reversed() {
                operations.append(["op": "remove", "path": .string("/messages/\(index)")])
            }
            operations.append(add(instruction, at: 0))
        }
        return JSONValue.array(operations).serialized()
    }

    private static func add(_ message: JSONValue, at index: Int) -> JSONValue {
        ["op": "add", "path": .string("/messages/\(index)"), "value": message]
    }
}
