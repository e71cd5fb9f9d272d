/// One `enrichers:` entry: an enricher plugin instance (`switchyard.enricher/1`) that observes the
/// passthrough and native-mode traffic of the providers it applies to and reports its usage
/// (docs/configuration.md, "enrichers"). Enrichers never change a request and never fail one.
public struct EnricherEntry: Sendable, Hashable {
    /// Unique among enrichers, [a-z0-9_-]+; defaults to `plugin` when omitted.
    public var name: String
    /// The plugins[] entry implementing switchyard.enricher/1.
    public var plugin: String
    /// providers[] names it observes; empty means every provider.
    public var providers: [String]
    /// Nanoseconds, > 0, at most 1 s; default 20 ms: the longest one hook may run before the
    /// enricher is dropped for that call.
    public var deadline: UInt64
    /// Where the entry starts in the configuration file.
    public var location: SourceLocation

    /// The default `deadline`: 20 ms.
    public static let defaultDeadline: UInt64 = 20_000_000

    /// Every parameter but `plugin` defaults as a YAML entry that leaves the key out would;
    /// `location` defaults to "no file" for entries made in code.
    public init(
        name: String? = nil,
        plugin: String,
        providers: [String] = [],
        deadline: UInt64 = EnricherEntry.defaultDeadline,
        location: SourceLocation = .wholeFile("")
    ) {
        self.name = name ?? plugin
        self.plugin = plugin
        self.providers = providers
        self.deadline = deadline
        self.location = location
    }
}
