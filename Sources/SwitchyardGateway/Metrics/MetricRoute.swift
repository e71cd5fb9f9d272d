import SwitchyardCore

/// The `route` label: the endpoint operation that served a request, as a small id.
enum MetricRoute {
    /// Every operation, indexed by id; `other` (a path no route knows) last.
    static let names: [String] = operations.map(\.rawValue) + ["other"]
    static let operations: [EndpointOperation] = [
        .chatCompletions, .embeddings, .responses, .messages, .models, .countTokens, .health, .passthrough, .files, .batches,
    ]
    static let other = UInt8(operations.count)

    @inline(__always)
    static func id(_ operation: EndpointOperation) -> UInt8 {
        switch operation {
        case .chatCompletions: 0
        case .embeddings: 1
        case .responses: 2
        case .messages: 3
        case .models: 4
        case .countTokens: 5
        case .health: 6
        case .passthrough: 7
        case .files: 8
        case .batches: 9
        }
    }

    /// The route of a request refused before it had a plan (a bad body, an unknown model), from
    /// its path; `other` for a path no route serves.
    static func id(path: String) -> UInt8 {
        switch path {
        case "/v1/chat/completions", "/chat/completions": id(.chatCompletions)
        case "/v1/embeddings", "/embeddings": id(.embeddings)
        case "/v1/responses": id(.responses)
        case "/v1/messages": id(.messages)
        case "/v1/messages/count_tokens": id(.countTokens)
        case let path where path.hasPrefix(PassthroughEndpoint.prefix): id(.passthrough)
        case let path where path == FilesEndpoint.collection || path.hasPrefix(FilesEndpoint.prefix): id(.files)
        case let path where path == BatchesEndpoint.prefix || path.hasPrefix(BatchesEndpoint.prefix + "/"): id(.batches)
        case let path where path.hasPrefix(StoredResponsesEndpoint.prefix): id(.responses)
        default: other
        }
    }
}
