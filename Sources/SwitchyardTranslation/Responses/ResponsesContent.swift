import SwitchyardJSON

/// Content parts of Responses input items → canonical content.
enum ResponsesContent {
    /// A user message's content: a string, or input_text / input_image parts (one text part
    /// reads as a plain string, which every canonical provider takes).
    static func userContent(_ content: JSONValue, path: String) throws(TranslationError) -> JSONValue {
        if content.stringValue != nil { return content }
        guard let items = content.arrayValue else { throw .field(path, "expected a string or an array of content parts") }
        var parts: [JSONValue] = []
        for (index, item) in items.enumerated() {
            let part = try FieldReader(item, path: elementPath(path, index))
            let type = try part.requiredString("type")
            switch type {
            case "input_text":
                try part.onlyKnownKeys(["type", "text"])
                parts.append(["type": "text", "text": .string(try part.requiredString("text"))])
            case "input_image":
                parts.append(try imagePart(part))
            default:
                try reject(type, part)
            }
        }
        if parts.count == 1, parts[0]["type"] == "text", let text = parts[0]["text"] { return text }
        return .array(parts)
    }

    /// The texts of a content value made only of text parts of the `allowed` types (a plain
    /// string is one text).
    static func texts(_ content: JSONValue, path: String, allowed: Set<String>) throws(TranslationError) -> [String] {
        if let text = content.stringValue { return [text] }
        guard let items = content.arrayValue else { throw .field(path, "expected a string or an array of content parts") }
        var texts: [String] = []
        for (index, item) in items.enumerated() {
            let part = try FieldReader(item, path: elementPath(path, index))
            let type = try part.requiredString("type")
            guard allowed.contains(type) else { try reject(type, part); continue }
            // Annotations and logprobs on earlier output text describe it; they are not input.
            try part.onlyKnownKeys(["type", "text", "refusal", "annotations", "logprobs"])
            texts.append(try type == "refusal" ? part.requiredString("refusal") : part.requiredString("text"))
        }
        return texts
    }

    /// `input_image` with an `image_url` (an https or data: URL) → an `image_url` part.
    static func imagePart(_ part: FieldReader) throws(TranslationError) -> JSONValue {
        try part.onlyKnownKeys(["type", "image_url", "file_id", "detail"])
        try part.reject("file_id", "an input_image by file_id (the Files API)")
        var image = JSONObject()
        image["url"] = .string(try part.requiredString("image_url"))
        if let detail = try part.string("detail") { image["detail"] = .string(detail) }
        return ["type": "image_url", "image_url": .object(image)]
    }

    static func reject(_ type: String, _ part: FieldReader) throws(TranslationError) {
        switch type {
        case "input_file": throw .unsupported(part.path("type"), "an input_file content part")
        case "input_audio": throw .unsupported(part.path("type"), "an input_audio content part")
        case "input_text", "input_image", "output_text", "refusal", "summary_text", "reasoning_text":
            throw .field(part.path("type"), "a \(type) part is not allowed here")
        default: throw .field(part.path("type"), "unknown content part type \"\(type)\"")
        }
    }
}
