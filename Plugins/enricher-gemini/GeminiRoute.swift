import SwitchyardPluginSDK

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
struct GeminiRoute {
    enum Metered: Equatable { case generate, embed, countTokens }

    let operation: String
    let auditPath: String
    let metered: Metered?
    let model: String?

    init?(_ head: ExchangeHead) {
        let route = head.route
        var cursor = PathSegments(route)
        var probe = cursor
        if PathSegments.bytes(probe.next(), are: "upload") { cursor = probe }
        probe = cursor
        let versioned = PathSegments.bytes(probe.next(), isOneOf: Self.versions)
        if versioned { cursor = probe }
        guard let resource = cursor.next() else { return nil }
        let name = cursor.next(), extra = cursor.next()
        if PathSegments.bytes(resource, isOneOf: Self.modelResources), let name, extra == nil, let colon = name.lastIndex(of: UInt8(ascii: ":")) {
            let modelName = UnsafeRawBufferPointer(rebasing: name[..<colon])
            let method = UnsafeRawBufferPointer(rebasing: name[(colon + 1)...])
            guard !modelName.isEmpty, !method.isEmpty else { return nil }
            model = String(decoding: modelName, as: UTF8.self)
            if PathSegments.bytes(method, isOneOf: Self.generateMethods) {
                (operation, auditPath, metered) = ("chat.completions", "/v1/chat/completions", .generate)
            } else if PathSegments.bytes(method, isOneOf: Self.embedMethods) {
                (operation, auditPath, metered) = ("embeddings", "/v1/embeddings", .embed)
            } else if PathSegments.bytes(method, are: "countTokens") {
                (operation, auditPath, metered) = ("count_tokens", "/v1/messages/count_tokens", .countTokens)
            } else {
                (operation, auditPath, metered) = (String(decoding: method, as: UTF8.self), String(decoding: route, as: UTF8.self), nil)
            }
        } else {
            guard versioned, PathSegments.bytes(resource, isOneOf: Self.resources) else { return nil }
            (operation, auditPath, metered) = (String(decoding: resource, as: UTF8.self), String(decoding: route, as: UTF8.self), nil)
            model = PathSegments.bytes(resource, are: "models") && extra == nil ? name.map { String(decoding: $0, as: UTF8.self) } : nil
        }
    }

    static let versions: [StaticString] = ["v1", "v1beta", "v1alpha"]
    static let modelResources: [StaticString] = ["models", "tunedModels"]
    static let generateMethods: [StaticString] = ["generateContent", "streamGenerateContent"]
    static let embedMethods: [StaticString] = ["embedContent", "batchEmbedContents"]
    static let resources: [StaticString] = [
        "models", "tunedModels", "cachedContents", "files", "batches", "operations", "corpora", "generatedFiles", "fileSearchStores",
    ]
}
