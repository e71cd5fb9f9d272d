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
struct OpenAIRoute: Equatable {
    /// The calls whose bodies carry usage: POST to the creating endpoints.
    enum Metered: Equatable { case chat, completions, embeddings, responses }

    let operation: String
    let auditPath: String
    let metered: Metered?
    let deployment: String?

    init?(method: String, path: Substring) {
        var segments = path.split(separator: "/")[...]
        var deployment: String?
        switch segments.first {
        case "openai":
            segments = segments.dropFirst()
            if segments.first == "deployments", segments.count >= 2 {
                deployment = String(segments[segments.startIndex + 1])
                segments = segments.dropFirst(2)
            } else if segments.first == "v1" {
                segments = segments.dropFirst()
            }
        case "v1beta" where segments.dropFirst().first == "openai":
            segments = segments.dropFirst(2)
        case "v1":
            segments = segments.dropFirst()
        case let first?:
            guard Self.resources.contains(first) else { return nil }
        case nil:
            return nil
        }
        guard let resource = segments.first, !Self.otherFamilies.contains(resource),
              !Self.isGeminiMethod(segments.last!) else { return nil }
        self.deployment = deployment
        auditPath = "/v1/" + segments.joined(separator: "/")
        let post = method.utf8.elementsEqual("POST".utf8)
        switch Array(segments) {
        case ["chat", "completions"] where post:
            (operation, metered) = ("chat.completions", .chat)
        case ["completions"] where post:
            (operation, metered) = ("completions", .completions)
        case ["embeddings"] where post:
            (operation, metered) = ("embeddings", .embeddings)
        case ["responses"] where post:
            (operation, metered) = ("responses", .responses)
        default:
            // The leading words name the resource ("audio.transcriptions", "files",
            // "vector_stores"); ids ("file-abc", "batch_6b1f") end them.
            let words = segments.prefix { $0.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F } }
            operation = words.isEmpty ? String(resource) : words.joined(separator: ".")
            metered = nil
        }
    }

    /// OpenAI's top-level resources, for paths given without /v1.
    static let resources: Set<Substring> = [
        "chat", "completions", "embeddings", "responses", "models", "files", "uploads", "batches", "fine_tuning",
        "images", "audio", "moderations", "assistants", "threads", "vector_stores", "realtime", "evals",
        "containers", "conversations", "organization",
    ]

    /// First segments after /v1 that belong to Anthropic's API, not OpenAI's.
    static let otherFamilies: Set<Substring> = ["messages", "complete"]

    /// `gemini-2.5-flash:generateContent` and the like.
    static func isGeminiMethod(_ segment: Substring) -> Bool {
        guard let colon = segment.lastIndex(of: ":") else { return false }
        return geminiMethods.contains(segment[segment.index(after: colon)...])
    }

    static let geminiMethods: Set<Substring> = [
        "generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents",
        "batchGenerateContent", "predict", "predictLongRunning",
    ]
}
