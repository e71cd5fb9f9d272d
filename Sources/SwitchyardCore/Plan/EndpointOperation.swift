/// What a client asked the gateway to do, as the router names it. Each operation has a
/// capability set: which stages and plugin kinds may take part in serving it.
public enum EndpointOperation: String, Sendable {
    case chatCompletions = "chat_completions"
    case embeddings
    case responses
    case messages
    case models
    case countTokens = "count_tokens"
    case health
    /// `/p/{provider}/…`: the client's own request to the provider's native API.
    case passthrough
    /// `/v1/files…`: the gateway's own Files API over the providers' (mode native_file).
    case files
    /// `/v1/batches…`: the gateway's own Batch API over the providers' (mode native_batch).
    case batches

    /// Value of `sy_call_info.operation` (SY_OP_* in the plugin ABI).
    public var abiValue: UInt32 {
        switch self {
        case .chatCompletions: 1
        case .embeddings: 2
        case .responses: 3
        case .messages: 4
        case .models: 5
        case .countTokens: 6
        case .passthrough: 7
        case .files: 8
        case .batches: 9
        case .health: 0
        }
    }

    public var capabilities: CapabilitySet {
        switch self {
        case .chatCompletions, .responses, .messages:
            [.semanticExtraction, .aliasResolution, .guardrails, .requestPatching, .usageTracking, .responseCaching, .streaming]
        case .embeddings:
            [.semanticExtraction, .aliasResolution, .guardrails, .usageTracking, .responseCaching]
        case .countTokens:
            [.semanticExtraction, .aliasResolution]
        case .passthrough:
            [.passthrough, .usageTracking, .streaming]
        case .batches:
            [.aliasResolution, .guardrails, .usageTracking]
        case .models, .health, .files:
            []
        }
    }
}

/// The stages and plugin kinds an endpoint allows; the plan intersects it with configuration.
public struct CapabilitySet: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let semanticExtraction = CapabilitySet(rawValue: 1 << 0)
    public static let aliasResolution = CapabilitySet(rawValue: 1 << 1)
    public static let guardrails = CapabilitySet(rawValue: 1 << 2)
    public static let requestPatching = CapabilitySet(rawValue: 1 << 3)
    public static let usageTracking = CapabilitySet(rawValue: 1 << 4)
    public static let responseCaching = CapabilitySet(rawValue: 1 << 5)
    public static let streaming = CapabilitySet(rawValue: 1 << 6)
    public static let passthrough = CapabilitySet(rawValue: 1 << 7)

    static let names: [(CapabilitySet, String)] = [
        (.semanticExtraction, "semantic_extraction"), (.aliasResolution, "alias_resolution"),
        (.guardrails, "guardrails"), (.requestPatching, "request_patching"), (.usageTracking, "usage_tracking"),
        (.responseCaching, "response_caching"), (.streaming, "streaming"), (.passthrough, "passthrough"),
    ]

    public var description: String {
        Self.names.filter { contains($0.0) }.map(\.1).joined(separator: ",")
    }
}
