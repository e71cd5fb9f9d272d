import SwitchyardPluginSDK

/// Canonical message content (a string or an array of parts) → Anthropic content blocks.
/// `path` (e.g. "messages[2].content") names the place in error messages.
enum ContentParts {
    /// A user turn: text, images, PDF files.
    static func userBlocks(_ content: JSONValue?, path: String) throws(PluginError) -> [JSONValue] {
        try blocks(content, path: path) { part, partPath throws(PluginError) in
            switch part["type"]?.stringValue {
            case "text": return try textBlock(part, partPath)
            case "image_url": return try imageBlock(part, partPath)
            case "file": return try documentBlock(part, partPath)
            case "input_audio": throw unsupported("\(partPath) input_audio", "Anthropic does not take audio input")
            case let kind: throw unsupported("\(partPath) type \(kind ?? "null")", "unknown content part")
            }
        }
    }

    /// Text only: system/developer turns, assistant turns (a refusal part is the text it
    /// refused with), tool results.
    static func textBlocks(_ content: JSONValue?, path: String) throws(PluginError) -> [JSONValue] {
        try blocks(content, path: path) { part, partPath throws(PluginError) in
            switch part["type"]?.stringValue {
            case "text": return try textBlock(part, partPath)
            case "refusal":
                guard let text = part["refusal"]?.stringValue else { throw .invalid("\(partPath).refusal must be a string") }
                return text.isEmpty ? nil : ["type": "text", "text": .string(text)]
            case let kind: throw unsupported("\(partPath) type \(kind ?? "null")", "only text parts can be translated here")
            }
        }
    }

    /// Empty strings are left out: Anthropic rejects empty text blocks.
    private static func blocks(
        _ content: JSONValue?, path: String, _ part: (JSONValue, String) throws(PluginError) -> JSONValue?
    ) throws(PluginError) -> [JSONValue] {
        switch content {
        case nil, .null?: return []
        case .string(let text)?: return text.isEmpty ? [] : [["type": "text", "text": .string(text)]]
        case .array(let parts)?:
            var blocks: [JSONValue] = []
            for (index, value) in parts.enumerated() {
                if let block = try part(value, "\(path)[\(index)]") { blocks.append(block) }
            }
            return blocks
        default: throw .invalid("\(path) must be a string or an array of content parts")
        }
    }

    private static func textBlock(_ part: JSONValue, _ path: String) throws(PluginError) -> JSONValue? {
        guard let text = part["text"]?.stringValue else { throw .invalid("\(path).text must be a string") }
        return text.isEmpty ? nil : ["type": "text", "text": .string(text)]
    }

    /// `detail` has no Anthropic counterpart (images are sized by the model) and is ignored.
    private static func imageBlock(_ part: JSONValue, _ path: String) throws(PluginError) -> JSONValue {
        guard let url = part["image_url"]?["url"]?.stringValue ?? part["image_url"]?.stringValue else {
            throw .invalid("\(path).image_url.url must be a string")
        }
        if let data = DataURL(url) {
            return ["type": "image", "source": ["type": "base64", "media_type": .string(data.mediaType), "data": .string(data.base64)]]
        }
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw unsupported("\(path).image_url", "only base64 data: URLs and http(s) URLs can be sent")
        }
        return ["type": "image", "source": ["type": "url", "url": .string(url)]]
    }

    /// An inline PDF (`file.file_data` as a base64 data: URL) becomes a document block; uploaded
    /// OpenAI file ids mean nothing to Anthropic.
    private static func documentBlock(_ part: JSONValue, _ path: String) throws(PluginError) -> JSONValue {
        if part["file"]?["file_id"]?.stringValue != nil {
            throw unsupported("\(path).file.file_id", "OpenAI file ids cannot be resolved by Anthropic; send file_data")
        }
        guard let fileData = part["file"]?["file_data"]?.stringValue, let data = DataURL(fileData) else {
            throw unsupported("\(path).file", "only file_data as a base64 data: URL can be sent")
        }
        guard data.mediaType == "application/pdf" else {
            throw unsupported("\(path).file media type \(data.mediaType)", "Anthropic documents are PDFs")
        }
        return ["type": "document", "source": ["type": "base64", "media_type": "application/pdf", "data": .string(data.base64)]]
    }
}

/// `data:<media type>[;parameters];base64,<data>` (RFC 2397), base64 form only.
struct DataURL {
    let mediaType: String
    let base64: String

    init?(_ url: String) {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ",") else { return nil }
        let header = url[url.index(url.startIndex, offsetBy: 5)..<comma]
        let fields = header.split(separator: ";", omittingEmptySubsequences: false)
        guard fields.count >= 2, fields.last == "base64", let type = fields.first, !type.isEmpty else { return nil }
        mediaType = String(type)
        base64 = String(url[url.index(after: comma)...])
    }
}
