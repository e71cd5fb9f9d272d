import SwitchyardJSON

/// Anthropic image blocks → canonical `image_url` parts: base64 sources become `data:` URLs,
/// URL sources pass through. File-id sources need Anthropic's Files API and are rejected.
enum MessagesImages {
    static func imagePart(_ block: FieldReader) throws(TranslationError) -> JSONValue {
        try block.onlyKnownKeys(["type", "source", "cache_control"])
        guard let source = try block.object("source") else { throw .field(block.path("source"), "field required") }
        let type = try source.requiredString("type")
        let url: String
        switch type {
        case "base64":
            try source.onlyKnownKeys(["type", "media_type", "data"])
            url = "data:\(try source.requiredString("media_type"));base64,\(try source.requiredString("data"))"
        case "url":
            try source.onlyKnownKeys(["type", "url"])
            url = try source.requiredString("url")
        case "file":
            throw .unsupported(source.path("type"), "an image source of type \"file\" (Anthropic Files API)")
        default:
            throw .field(source.path("type"), "expected \"base64\" or \"url\" (got \"\(type)\")")
        }
        return ["type": "image_url", "image_url": ["url": .string(url)]]
    }
}
