/// One `guardrails:` entry: a guardrail plugin instance, where it runs (phases, scope) and how the
/// gateway treats its failures. Guardrails run in ascending `order`; entries with the same order
/// form a group whose members run concurrently (docs/configuration.md, "guardrails").
public struct GuardrailEntry: Sendable, Hashable {
    /// Unique among guardrails, [a-z0-9_-]+; defaults to `plugin` when omitted.
    public var name: String
    /// The plugins[] entry implementing switchyard.guardrail/1.
    public var plugin: String
    /// SY_PHASE_* bits the entry runs in (request = 1, response = 2, stream = 4); nil = every
    /// phase the plugin declares.
    public var phases: UInt32?
    /// Where it applies; an empty list means "all", and an entry applies when every list matches.
    /// models: model or alias names as the client sends them (matched against the requested name
    /// and the resolved one); providers: providers[] names; routes: "chat_completions",
    /// "responses", "messages", "embeddings".
    public var models: [String]
    public var providers: [String]
    public var routes: [String]
    /// Ascending; entries with the same order run concurrently (a group). Default 0.
    public var order: Int
    /// on_error: fail_open → true; fail_closed (default) → false.
    public var failOpen: Bool
    /// deadline, nanoseconds, > 0; default 1 s. Bounds one inspect and a pause alike.
    public var deadline: UInt64
    /// Where the entry starts in the configuration file.
    public var location: SourceLocation

    /// The default `deadline`: one second.
    public static let defaultDeadline: UInt64 = 1_000_000_000

    /// Every parameter but `plugin` defaults as a YAML entry that leaves the key out would;
    /// `location` defaults to "no file" for entries made in code.
    public init(
        name: String? = nil,
        plugin: String,
        phases: UInt32? = nil,
        models: [String] = [],
        providers: [String] = [],
        routes: [String] = [],
        order: Int = 0,
        failOpen: Bool = false,
        deadline: UInt64 = GuardrailEntry.defaultDeadline,
        location: SourceLocation = .wholeFile("")
    ) {
        self.name = name ?? plugin
        self.plugin = plugin
        self.phases = phases
        self.models = models
        self.providers = providers
        self.routes = routes
        self.order = order
        self.failOpen = failOpen
        self.deadline = deadline
        self.location = location
    }
}
