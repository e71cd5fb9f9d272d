/// How a request is carried out.
public enum ExecutionMode: String, Sendable {
    /// Canonical request, translated by a provider plugin to any upstream.
    case translated
    /// The provider speaks the client's own format (Anthropic messages on the anthropic
    /// provider, Responses on openai): the client's body goes to it with only `model` rewritten,
    /// and its answer comes back as the provider wrote it.
    case native
    /// `/p/{provider}/...`: bytes forwarded; enrichers extract model and usage.
    case passthrough
    case nativeBatch = "native_batch"
    case nativeFile = "native_file"
}

extension ExecutionMode {
    /// The mode of an attempt whose provider is called with `provider` for a request that came
    /// in as `ingress` (operations only: the access log reads it for every request, and copying
    /// an `Attempt` would retain its strings).
    @inlinable
    public init(provider: EndpointOperation, ingress: EndpointOperation) {
        if ingress == .passthrough { self = .passthrough; return }
        self = provider == ingress && (ingress == .messages || ingress == .responses) ? .native : .translated
    }
}

/// How the requested model name became a concrete model.
public struct ModelResolution: Sendable, Equatable {
    /// The model the client named.
    public let requested: String
    /// After alias resolution.
    public let resolved: String
    /// Aliases followed, in order (empty when the name was a model).
    public let aliases: [String]

    public init(requested: String, resolved: String, aliases: [String]) {
        self.requested = requested
        self.resolved = resolved
        self.aliases = aliases
    }
}

/// One way of serving the request: a provider instance and the model name it knows.
public struct Attempt: Sendable, Equatable {
    /// Provider instance name from the config (`providers[].name`).
    public let provider: String
    /// Plugin entry name backing that provider (`plugins[].name`).
    public let plugin: String
    public let upstreamModel: String
    /// What the provider is asked to do: the ingress operation itself when the provider serves
    /// it natively, else the canonical operation the host translates to (chat_completions for
    /// /v1/messages and /v1/responses on a provider that only speaks chat).
    public let operation: EndpointOperation
    /// The target's health, told how the attempt ended; nil when breakers are off for the
    /// provider (and for attempts outside routing: passthrough, files, batches).
    public let health: (any AttemptOutcomeRecorder)?

    public init(provider: String, plugin: String, upstreamModel: String, operation: EndpointOperation = .chatCompletions,
                health: (any AttemptOutcomeRecorder)? = nil) {
        self.provider = provider
        self.plugin = plugin
        self.upstreamModel = upstreamModel
        self.operation = operation
        self.health = health
    }

    /// Equal when they call the same provider with the same model and operation (the health
    /// object is that target's, so it follows).
    public static func == (lhs: Attempt, rhs: Attempt) -> Bool {
        lhs.provider == rhs.provider && lhs.plugin == rhs.plugin && lhs.upstreamModel == rhs.upstreamModel && lhs.operation == rhs.operation
    }

    /// True when the provider receives the client's own format (no host-side translation).
    public func isNative(for ingress: EndpointOperation) -> Bool { operation == ingress }

    /// How this attempt serves a request that came in as `ingress`: native where the provider
    /// speaks a client format other than the canonical one, translated otherwise.
    public func mode(for ingress: EndpointOperation) -> ExecutionMode { ExecutionMode(provider: operation, ingress: ingress) }
}

/// Plugin instances composed for this request, by kind, in the order they run. A kind appears
/// only when the endpoint's capability set allows it.
public struct PluginChains: Sendable, Equatable {
    public var guardrails: [String] = []
    public var enrichers: [String] = []

    public init(guardrails: [String] = [], enrichers: [String] = []) {
        self.guardrails = guardrails
        self.enrichers = enrichers
    }
}

/// Everything decided about one request before anything is executed. Immutable once built: the
/// executor, response headers, logs, cache keys and audit entries all read this one value.
public struct ExecutionPlan: Sendable {
    public let requestID: String
    public let operation: EndpointOperation
    public let mode: ExecutionMode
    public let capabilities: CapabilitySet
    public let stream: Bool
    public let resolution: ModelResolution
    /// In order: the first, then fallbacks while nothing has reached the client.
    public let attempts: [Attempt]
    public let chains: PluginChains
    /// Sent by a plugin of this gateway through `http_send` with a path as its URL (it carried
    /// the process's `X-Switchyard-Internal` secret): no guardrails run on it (`chains` has
    /// none), and its access-log line says `internal=true`.
    public let internalRequest: Bool
    /// Mode `passthrough` only: what is forwarded.
    public let passthrough: PassthroughTarget?
    /// What routing decided: strategy, group, variant, candidates and skip reasons (var: the
    /// executor's log copy adds a target its breaker refused when the attempt was to start).
    public var routing: RoutingRecord
    /// Who sent it (the checked key); nil when the gateway is open or for internal requests.
    /// Set by the endpoint right after planning, before anything runs.
    public var caller: Caller?
    /// Its hold on budgets and limits, settled once when it ends; nil when none applies.
    public var settlement: (any Settlement)?

    public init(
        requestID: String, operation: EndpointOperation, mode: ExecutionMode, capabilities: CapabilitySet,
        stream: Bool, resolution: ModelResolution, attempts: [Attempt], chains: PluginChains, internalRequest: Bool = false,
        passthrough: PassthroughTarget? = nil, routing: RoutingRecord = .plain
    ) {
        self.requestID = requestID
        self.operation = operation
        self.mode = mode
        self.capabilities = capabilities
        self.stream = stream
        self.resolution = resolution
        self.attempts = attempts
        self.chains = chains
        self.internalRequest = internalRequest
        self.passthrough = passthrough
        self.routing = routing
    }
}

/// The request a passthrough plan forwards: the client's method, and its target after
/// `/p/{provider}` (query included, byte for byte), which the provider joins to its base URL.
public struct PassthroughTarget: Sendable, Equatable {
    public let method: String
    /// Starts with "/": "/v1/chat/completions?x=1".
    public let path: String

    /// The path without its query (what allow/deny prefixes match, what the log shows).
    public let pathOnly: Substring

    public init(method: String, path: String) {
        self.method = method
        self.path = path
        // By UTF-8 byte, once: a Character walk of the path cost ~8k instructions per use.
        pathOnly = Substring(path.utf8.prefix { $0 != UInt8(ascii: "?") })
    }
}
