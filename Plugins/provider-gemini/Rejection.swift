import SwitchyardPluginSDK

/// The errors a canonical request earns when it asks for what Gemini cannot do, or is malformed.
/// Every message names the field and the provider, as docs/canonical.md requires.
enum Rejection {
    /// A well-formed request Gemini cannot honour (400, SY_E_UNSUPPORTED).
    static func unsupported(_ field: String, _ why: String) -> PluginError {
        .unsupported("\(field): \(why) (not supported by the gemini provider)")
    }

    /// A malformed request (400, SY_E_INVALID).
    static func invalid(_ field: String, _ why: String) -> PluginError {
        .invalid("\(field): \(why) (gemini provider)")
    }
}
