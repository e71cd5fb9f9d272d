import CSwitchyardPlugin
import SwitchyardPlugins

/// The plugin call of one files or batches request: what the provider's hook (and a batch's
/// preparers) receive as `sy_call`, and what `call_metadata` reports for it (mode
/// "native_file" / "native_batch", the provider holding the file or batch).
///
/// Threading: loop-confined, like the request. Lifetime: the request's; `end()` before it goes.
final class NativeCall: PluginCallSource {
    let requestID: String
    let endpoint: String
    let mode: String
    let call: PluginCall
    /// The provider the request is about; set once it is known (a listing has none).
    var provider = ""

    init(requestID: String, endpoint: String, mode: String, context: LoopContext) {
        self.requestID = requestID
        self.endpoint = endpoint
        self.mode = mode
        call = context.makePluginCall()
        call.open(source: self)
    }

    deinit { call.end() }

    /// The description a hook of this call gets, for `operation` (SY_OP_FILES, SY_OP_BATCHES).
    func description(_ operation: UInt32, request: [UInt8] = []) -> CallDescription {
        CallDescription(operation: operation, stream: false, attempt: 0, requestID: requestID, upstreamModel: "", request: request, handle: call.handle)
    }

    func end() { call.end() }

    var callRequestID: String { requestID }

    func callFacts(attempt: Int) -> PluginCallFacts {
        PluginCallFacts(requestID: requestID, endpoint: endpoint, mode: mode, model: "", requestedModel: "", provider: provider, stream: false)
    }
}
