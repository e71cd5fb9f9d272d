/// One `batch_preparers:` entry: a batch preparer plugin instance (`switchyard.batch/1`) that sees
/// every line of a native batch's input file before the batch goes to a provider it applies to,
/// and keeps, rewrites or refuses the line (docs/configuration.md, "batch_preparers").
public struct BatchPreparerEntry: Sendable, Hashable {
    /// Unique among batch preparers, [a-z0-9_-]+; defaults to `plugin` when omitted.
    public var name: String
    /// The plugins[] entry implementing switchyard.batch/1 (its `config:` configures it).
    public var plugin: String
    /// providers[] names whose batches it prepares; empty means every provider.
    public var providers: [String]
    /// Where the entry starts in the configuration file (the whole file for the built-in one).
    public var location: SourceLocation

    public init(name: String? = nil, plugin: String, providers: [String] = [], location: SourceLocation = .wholeFile("")) {
        self.name = name ?? plugin
        self.plugin = plugin
        self.providers = providers
        self.location = location
    }

    /// The built-in preparer's entry names (Plugins/batch-models): it runs for every batch when
    /// the config has no `batch_preparers:` section, so a batch line may name an alias.
    public static let builtInName = "batch-models"
    public static let builtInPlugin = "switchyard-batch-models"
    /// Its library, in `SWITCHYARD_PLUGIN_DIR` like every bundled plugin.
    public static let builtInLibrary = "libBatchModels.so"
}
