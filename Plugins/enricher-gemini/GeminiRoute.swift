/// What a Gemini path amounts to (query removed). `/{version}/models/{model}:{method}` (also
/// `tunedModels/`, and without the version for a base URL that ends in it):
///
/// | method | operation | audit path |
/// | --- | --- | --- |
/// | generateContent, streamGenerateContent | chat.completions | /v1/chat/completions |
/// | embedContent, batchEmbedContents | embeddings | /v1/embeddings |
/// | countTokens | count_tokens | /v1/messages/count_tokens |
/// | any other | the method | the path |
///
/// Gemini's other resources under a version (`/v1beta/cachedContents`, `files`, `models`,
/// `batches`, ...) are reported with the resource as the operation and the path as the audit
/// path. Anything else (`/v1/chat/completions`) is not this enricher's.
struct GeminiRoute: Equatable {
    enum Metered: Equatable { case generate, embed, countTokens }

    let operation: String
    let auditPath: String
    let metered: Metered?
    let model: String?

    init?(path: Substring) {
        var segments = path.split(separator: "/")[...]
        if segments.first == "upload" { segments = segments.dropFirst() }
        let versioned = segments.first.map(Self.versions.contains) ?? false
        if versioned { segments = segments.dropFirst() }
        guard let resource = segments.first else { return nil }
        if (resource == "models" || resource == "tunedModels"), segments.count == 2, let colon = segments.last!.lastIndex(of: ":") {
            let name = segments.last!
            let method = name[name.index(after: colon)...]
            model = String(name[..<colon])
            switch method {
            case "generateContent", "streamGenerateContent":
                (operation, auditPath, metered) = ("chat.completions", "/v1/chat/completions", .generate)
            case "embedContent", "batchEmbedContents":
                (operation, auditPath, metered) = ("embeddings", "/v1/embeddings", .embed)
            case "countTokens":
                (operation, auditPath, metered) = ("count_tokens", "/v1/messages/count_tokens", .countTokens)
            default:
                (operation, auditPath, metered) = (String(method), String(path), nil)
            }
            guard !model!.isEmpty, !method.isEmpty else { return nil }
        } else {
            guard versioned, Self.resources.contains(resource) else { return nil }
            (operation, auditPath, metered) = (String(resource), String(path), nil)
            model = resource == "models" && segments.count == 2 ? String(segments.last!) : nil
        }
    }

    static let versions: Set<Substring> = ["v1", "v1beta", "v1alpha"]
    static let resources: Set<Substring> = [
        "models", "tunedModels", "cachedContents", "files", "batches", "operations", "corpora", "generatedFiles", "fileSearchStores",
    ]
}
