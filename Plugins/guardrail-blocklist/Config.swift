import SwitchyardPluginSDK

/// The instance's configuration, parsed once by `init` and immutable afterwards. The host has
/// already checked it against the manifest's `config_schema`; this re-checks what a host
/// without the schema (or a test calling instance_new directly) could let through.
struct BlocklistConfig: Sendable {
    static let knownKeys = ["words", "action", "placeholder", "message"]
    /// The longest term, in characters: a term is at most what the chunk phase may hold back
    /// (SY_MAX_HOLD_BYTES is 16 KiB; 256 characters are at most 1 KiB of UTF-8).
    static let maximumTermLength = 256

    enum Action: String, Sendable {
        case reject, redact
    }

    /// The words and phrases, trimmed of surrounding whitespace.
    let terms: [String]
    let action: Action
    let placeholder: String
    /// The client's error message for a rejection; nil: one naming the message or choice.
    let message: String?

    init(_ config: JSONValue) throws(PluginError) {
        let config = try ProviderConfig(config, knownKeys: Self.knownKeys)
        guard let words = config.object["words"]?.arrayValue, !words.isEmpty else {
            throw .config("words must be a non-empty array of strings")
        }
        var terms: [String] = []
        for (index, word) in words.enumerated() {
            guard let text = word.stringValue else { throw .config("words[\(index)] must be a string") }
            let term = text.trimmingWhitespace
            guard !term.isEmpty else { throw .config("words[\(index)] is empty") }
            guard term.unicodeScalars.count <= Self.maximumTermLength else {
                throw .config("words[\(index)] is longer than \(Self.maximumTermLength) characters")
            }
            terms.append(term)
        }
        self.terms = terms
        let actionName = try config.string("action") ?? Action.reject.rawValue
        guard let action = Action(rawValue: actionName) else { throw .config("action must be \"reject\" or \"redact\" (got \"\(actionName)\")") }
        self.action = action
        placeholder = try config.string("placeholder") ?? "[redacted]"
        let message = try config.string("message")
        if message?.isEmpty == true { throw .config("message must not be empty") }
        self.message = message
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
