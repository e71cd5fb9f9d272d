/// One `providers:` entry: a provider instance, backed by a plugin entry, serving some models.
public struct ProviderEntry: Sendable, Hashable {
    /// Unique among providers, `[a-z0-9_-]+` (it appears in `/p/{provider}/…` URLs).
    public var name: String
    /// Name of the plugin entry that implements this provider.
    public var plugin: String
    /// Models this provider serves (their public names), in the order written; `"*"` means any model.
    public var models: [String]
    /// Public name → the name the upstream receives, for the models written `{public: upstream}`.
    public var upstreamModels: [String: String]
    /// The circuit breaker of each of its targets; nil = `breaker: off`.
    public var breaker: BreakerSettings?
    /// Where the entry starts in the configuration file.
    public var location: SourceLocation
    /// The timeouts in effect for this provider: `server:`'s, overridden by the entry's own
    /// `timeouts:` block.
    public var timeouts: UpstreamTimeouts
    /// Forwarding of `/p/{name}/…` to this provider; nil = passthrough off (the default).
    public var passthrough: PassthroughPolicy?
    /// `retry:`; nil = each target of this provider is tried once (the default).
    public var retry: RetryConfig?

    public init(name: String, plugin: String, models: [String], location: SourceLocation, timeouts: UpstreamTimeouts = UpstreamTimeouts(),
                passthrough: PassthroughPolicy? = nil, upstreamModels: [String: String] = [:], breaker: BreakerSettings? = BreakerSettings(), retry: RetryConfig? = nil) {
        self.name = name
        self.plugin = plugin
        self.models = models
        self.upstreamModels = upstreamModels
        self.breaker = breaker
        self.location = location
        self.timeouts = timeouts
        self.passthrough = passthrough
        self.retry = retry
    }

    /// The name the upstream receives for the public name `model`.
    public func upstreamModel(for model: String) -> String {
        upstreamModels[model] ?? model
    }

    /// True when the provider lists `model` or the wildcard `"*"`.
    public func serves(_ model: String) -> Bool {
        models.contains(model) || models.contains("*")
    }
}
