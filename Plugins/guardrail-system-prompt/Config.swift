import SwitchyardPluginSDK

/// The instance's configuration, parsed once by `init` and immutable afterwards.
struct SystemPromptConfig: Sendable {
    static let knownKeys = ["mode", "text"]

    enum Mode: String, Sendable {
        /// A new system message at index 0.
        case prepend
        /// A new system message right after the leading system and developer messages.
        case append
        /// Every system and developer message removed; one system message at index 0.
        case replace
    }

    let mode: Mode
    let text: String

    init(_ config: JSONValue) throws(PluginError) {
        let config = try ProviderConfig(config, knownKeys: Self.knownKeys)
        let modeName = try config.string("mode") ?? Mode.prepend.rawValue
        guard let mode = Mode(rawValue: modeName) else {
            throw .config("mode must be \"prepend\", \"append\" or \"replace\" (got \"\(modeName)\")")
        }
        guard let text = try config.string("text"), !text.isEmpty else { throw .config("text is required: the system message's content") }
        self.mode = mode
        self.text = text
    }
}
