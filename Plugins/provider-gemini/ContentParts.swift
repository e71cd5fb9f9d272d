import SwitchyardPluginSDK

/// One canonical message's `content` (a string or an array of typed parts) as Gemini `Part`s.
enum ContentParts {
    /// Text, images, audio and inline files, for user and assistant turns.
    static func parts(_ content: JSONValue?, field: String) throws(PluginError) -> [JSONValue] {
        guard let content, !content.isNull else { return [] }
        if let text = content.stringValue { return [["text": .string(text)]] }
        guard let items = content.arrayValue else { throw Rejection.invalid(field, "must be a string or an array of content parts") }
        var parts: [JSONValue] = []
        for (index, item) in items.enumerated() {
            parts.append(try part(item, field: "\(field)[\(index)]"))
        }
        return parts
    }

    /// Text only, joined with newlines: system instructions and tool results carry no media here.
    static func text(_ content: JSONValue?, field: String) throws(PluginError) -> String {
        guard let content, !content.isNull else { return "" }
        if let text = content.stringValue { return text }
        guard let items = content.arrayValue else { throw Rejection.invalid(field, "must be a string or an array of text parts") }
        var pieces: [String] = []
        for (index, item) in items.enumerated() {
            guard item["type"]?.stringValue == "text", let text = item["text"]?.stringValue else {
                throw Rejection.unsupported("\(field)[\(index)]", "only text parts are accepted here")
            }
            pieces.append(text)
        }
        return pieces.joined(separator: "\n")
    }

    private static func part(_ item: JSONValue, field: String) throws(PluginError) -> JSONValue {
        switch item["type"]?.stringValue {
        case "text", "refusal":
            let key = item["type"]?.stringValue ?? "text"
            guard let text = item[key]?.stringValue else { throw Rejection.invalid(field, "a \(key) part needs a string \"\(key)\"") }
            return ["text": .string(text)]
        case "image_url":
            guard let url = item["image_url"]?["url"]?.stringValue ?? item["image_url"]?.stringValue else {
                throw Rejection.invalid(field, "an image_url part needs image_url.url")
            }
            return try image(url, field: field + ".image_url.url")
        case "input_audio":
            guard let data = item["input_audio"]?["data"]?.stringValue, let format = item["input_audio"]?["format"]?.stringValue else {
                throw Rejection.invalid(field, "an input_audio part needs input_audio.data and input_audio.format")
            }
            guard let mime = audioTypes[format] else { throw Rejection.unsupported(field + ".input_audio.format", "\"\(format)\" is not wav or mp3") }
            return ["inlineData": ["mimeType": .string(mime), "data": .string(data)]]
        case "file":
            if item["file"]?["file_id"] != nil { throw Rejection.unsupported(field + ".file.file_id", "uploaded OpenAI file ids do not exist at Gemini") }
            guard let data = item["file"]?["file_data"]?.stringValue else { throw Rejection.invalid(field, "a file part needs file.file_data") }
            return try inline(dataURL: data, field: field + ".file.file_data")
        case let other:
            throw Rejection.unsupported(field + ".type", "content part type \"\(other ?? "(missing)")\"")
        }
    }

    /// `data:` URLs travel inline; http(s) URLs become `fileData` references Gemini fetches.
    private static func image(_ url: String, field: String) throws(PluginError) -> JSONValue {
        if url.hasPrefix("data:") { return try inline(dataURL: url, field: field) }
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw Rejection.unsupported(field, "only data: and http(s) image URLs")
        }
        guard let mime = mimeType(forURL: url) else {
            throw Rejection.unsupported(field, "Gemini needs the image's MIME type and it cannot be told from the URL's extension (use png, jpg, jpeg, webp, gif, heic or heif, or a data: URL)")
        }
        return ["fileData": ["mimeType": .string(mime), "fileUri": .string(url)]]
    }

    /// `data:<mime>;base64,<payload>` → `inlineData` (Gemini takes base64 as is).
    private static func inline(dataURL: String, field: String) throws(PluginError) -> JSONValue {
        guard let comma = dataURL.firstIndex(of: ",") else { throw Rejection.invalid(field, "malformed data: URL") }
        let header = dataURL[dataURL.index(dataURL.startIndex, offsetBy: 5)..<comma]
        guard header.hasSuffix(";base64") else { throw Rejection.unsupported(field, "data: URLs must be base64-encoded") }
        let mime = String(header.dropLast(";base64".count))
        guard !mime.isEmpty, !mime.contains(";") else { throw Rejection.invalid(field, "data: URL without a plain MIME type") }
        return ["inlineData": ["mimeType": .string(mime), "data": .string(String(dataURL[dataURL.index(after: comma)...]))]]
    }

    /// The MIME type implied by the URL path's extension (query and fragment ignored).
    static func mimeType(forURL url: String) -> String? {
        let path = url.split(separator: "?", maxSplits: 1)[0].split(separator: "#", maxSplits: 1)[0]
        guard let lastSegment = path.split(separator: "/").last, let dot = lastSegment.lastIndex(of: ".") else { return nil }
        return imageTypes[lastSegment[lastSegment.index(after: dot)...].lowercased()]
    }

    private static let imageTypes = [
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
        "gif": "image/gif", "heic": "image/heic", "heif": "image/heif",
    ]
    private static let audioTypes = ["wav": "audio/wav", "mp3": "audio/mp3"]
}
