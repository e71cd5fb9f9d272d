import SwitchyardPluginSDK

/// What an OpenAI-style path amounts to. Accepted forms (query already removed):
///
/// - `/v1/{resource}...` (OpenAI, vLLM, Ollama, most compatible servers);
/// - `/{resource}...` for OpenAI's own resources, when the base URL already ends in /v1;
/// - `/openai/deployments/{deployment}/{resource}...` (Azure OpenAI; the deployment names the
///   model when nothing else does), `/openai/v1/{resource}...`, `/openai/{resource}...`;
/// - `/v1beta/openai/{resource}...` (Gemini's OpenAI-compatible endpoints).
///
/// Declined (another family's API): Anthropic's `/v1/messages` and `/v1/complete`, Gemini's
/// `models/{model}:{method}`, and bare paths that are not OpenAI resources.
struct OpenAIRoute {
    /// The calls whose bodies carry usage: POST to the creating endpoints.
    enum Metered: Equatable { case chat, completions, embeddings, responses }

    let operation: String
    let auditPath: String
    let metered: Metered?
    let deployment: String?

    /// Reads the path as bytes: nothing is allocated but the strings kept (none for the metered
    /// routes, whose names are literals).
    init?(_ head: ExchangeHead) {
        var cursor = PathSegments(head.route)
        var probe = cursor
        let first = probe.next()
        var deployment: String?
        if PathSegments.bytes(first, are: "openai") {
            cursor = probe
            let second = probe.next()
            if PathSegments.bytes(second, are: "deployments"), let name = probe.next() {
                deployment = String(decoding: name, as: UTF8.self)
                cursor = probe
            } else if PathSegments.bytes(second, are: "v1") {
                cursor = probe
            }
        } else if PathSegments.bytes(first, are: "v1beta") {
            guard PathSegments.bytes(probe.next(), are: "openai") else { return nil }
            cursor = probe
        } else if PathSegments.bytes(first, are: "v1") {
            cursor = probe
        } else if !PathSegments.bytes(first, isOneOf: Self.resources) {
            return nil
        }
        var look = cursor
        guard let resource = look.next(), !PathSegments.bytes(resource, isOneOf: Self.otherFamilies) else { return nil }
        var last = resource
        while let segment = look.next() { last = segment }
        guard !Self.isGeminiMethod(last) else { return nil }
        self.deployment = deployment

        let post = head.method(is: "POST")
        if post, cursor.remaining(are: "chat", "completions") {
            (operation, auditPath, metered) = ("chat.completions", "/v1/chat/completions", .chat)
        } else if post, cursor.remaining(are: "completions") {
            (operation, auditPath, metered) = ("completions", "/v1/completions", .completions)
        } else if post, cursor.remaining(are: "embeddings") {
            (operation, auditPath, metered) = ("embeddings", "/v1/embeddings", .embeddings)
        } else if post, cursor.remaining(are: "responses") {
            (operation, auditPath, metered) = ("responses", "/v1/responses", .responses)
        } else {
            auditPath = "/v1" + String(decoding: cursor.rest, as: UTF8.self)
            operation = Self.resourceName(cursor) ?? String(decoding: resource, as: UTF8.self)
            metered = nil
        }
    }

    /// The leading words name the resource ("audio.transcriptions", "files", "vector_stores");
    /// ids ("file-abc", "batch_6b1f") end them. nil when the first segment is no word.
    static func resourceName(_ cursor: PathSegments) -> String? {
        var cursor = cursor
        var name: String?
        while let segment = cursor.next(), segment.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }) {
            let word = String(decoding: segment, as: UTF8.self)
            name = name.map { $0 + "." + word } ?? word
        }
        return name
    }

    /// OpenAI's top-level resources, for paths given without /v1.
    static let resources: [StaticString] = [
        "chat", "completions", "embeddings", "responses", "models", "files", "uploads", "batches", "fine_tuning",
        "images", "audio", "moderations", "assistants", "threads", "vector_stores", "realtime", "evals",
        "containers", "conversations", "organization",
    ]

    /// First segments after /v1 that belong to Anthropic's API, not OpenAI's.
    static let otherFamilies: [StaticString] = ["messages", "complete"]

    /// `gemini-2.5-flash:generateContent` and the like.
    static func isGeminiMethod(_ segment: UnsafeRawBufferPointer) -> Bool {
        guard let colon = segment.lastIndex(of: UInt8(ascii: ":")) else { return false }
        return PathSegments.bytes(UnsafeRawBufferPointer(rebasing: segment[(colon + 1)...]), isOneOf: geminiMethods)
    }

    static let geminiMethods: [StaticString] = [
        "generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents",
        "batchGenerateContent", "predict", "predictLongRunning",
    ]
}
