import CSwitchyardPlugin

/// A provider adapter (`switchyard.provider/1`), one object per YAML entry. The host calls it
/// from any event-loop thread, concurrently for different calls: keep it immutable after init.
public protocol Provider: AnyObject, Sendable {
    /// Parses the entry's `config` once. Throw `PluginError.config` to reject it.
    init(config: JSONValue, host: PluginHost) throws(PluginError)

    /// Builds the upstream request from the canonical (OpenAI-style) JSON; its `model` is
    /// already the upstream model.
    func prepare(_ call: CallInfo, request: UnsafeRawBufferPointer, into upstream: UpstreamRequestBuilder) throws(PluginError)

    /// A transformer for one upstream response (called when its head arrives).
    func responseTransformer(_ call: CallInfo, status: Int, headers: ResponseHeaders) throws(PluginError) -> any ResponseTransformer
}

/// Turns one upstream response, pushed in arbitrary chunks, into canonical JSON on the sink.
/// Calls never overlap; it is released after the last call.
public protocol ResponseTransformer: AnyObject {
    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError)
    func end(out: Sink) throws(PluginError)
}

/// A provider that also forwards passthrough requests (`/p/{provider}{path}`): the client's own
/// bytes to this provider's native API. The table's `passthrough` hook is set only for types that
/// conform; for the others the client gets 403.
public protocol PassthroughProvider: Provider {
    /// Sets the upstream URL (this provider's base URL joined with `path`, see `PassthroughURL`)
    /// and adds this provider's own credentials. `method` is the client's and already set by the
    /// host; `path` is the rest of the client's target, query included, starting with '/'. The
    /// host adds the client's headers afterwards (none named like one set here) and streams its
    /// body: `upstream.setMethod` and `upstream.appendBody` are refused here and fail the call.
    func passthrough(_ call: CallInfo, method: String, path: String, into upstream: UpstreamRequestBuilder) throws(PluginError)
}

/// A provider that answers in-process, with no upstream request (local models, test doubles).
public protocol LocalProvider: Provider {
    func generate(_ call: CallInfo, request: UnsafeRawBufferPointer, out: Sink) throws(PluginError)
}

extension LocalProvider {
    public func prepare(_ call: CallInfo, request: UnsafeRawBufferPointer, into upstream: UpstreamRequestBuilder) throws(PluginError) {
        throw PluginError(SY_E_UNSUPPORTED, "this provider answers in-process")
    }

    public func responseTransformer(_ call: CallInfo, status: Int, headers: ResponseHeaders) throws(PluginError) -> any ResponseTransformer {
        throw PluginError(SY_E_UNSUPPORTED, "this provider answers in-process")
    }
}

@_exported import SwitchyardJSON
@_exported import CSwitchyardPlugin
