import SwitchyardJSON
import SwitchyardPluginSDK

/// The built-in batch preparer: every line's `body.model` must be a model this gateway routes
/// to the provider that holds the batch, and goes to that provider under the name it knows
/// (an alias, or a model whose provider entry names it differently, is rewritten).
/// Stateless between batches; immutable, so concurrent batches share it.
final class BatchModels: BatchPreparer {
    /// It takes no config: `{}` (or nothing); anything else is refused, as its schema says.
    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        guard let object = config.objectValue else { throw .config("config must be an object (batch-models takes no keys)") }
        if let key = object.keys.first { throw .config("unknown config key \"\(key)\" (batch-models takes no keys)") }
    }

    func begin(_ call: PluginCall, info: CallInfo) throws(PluginError) -> any BatchPreparation {
        guard let provider = call.metadata()?["provider"]?.stringValue, !provider.isEmpty else {
            throw PluginError.invalid("the batch names no provider")
        }
        return BatchModelLines(call: call, provider: provider)
    }
}
