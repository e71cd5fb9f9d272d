/// The `files:` section: how `POST /v1/files` picks a provider when the upload does not say
/// (docs/configuration.md, docs/batches.md).
public struct FilesConfig: Sendable, Hashable {
    /// The provider of uploads that name none (and, for purpose `batch`, whose first line's
    /// model does not choose one); nil when the section does not set it.
    public var defaultProvider: String?
    /// Where `default_provider` is written, for errors found once the plugins are loaded (the
    /// provider does not take files).
    public var defaultProviderLocation: SourceLocation?

    public init(defaultProvider: String? = nil, defaultProviderLocation: SourceLocation? = nil) {
        self.defaultProvider = defaultProvider
        self.defaultProviderLocation = defaultProviderLocation
    }
}
