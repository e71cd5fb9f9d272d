import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardPlugins
import SwitchyardUpstream

/// A provider as the native files and batches routes use it: one whose plugin's manifest lists
/// the operation ("files", "batches") and whose `passthrough` hook addresses its native API.
/// The gateway speaks OpenAI's Files and Batch APIs to it (`/v1/files…`, `/v1/batches…`); the
/// hook joins the path to the provider's base URL and adds its credentials, exactly as for
/// `/p/{provider}/…`, so no plugin needs a second way of saying where it lives.
///
/// Threading: immutable; any loop.
struct NativeProvider {
    let name: String
    let configured: ConfiguredProvider

    /// The upstream request for `method path` (path with its query, from '/'), with the
    /// provider's credentials and `headers`; `body` or `bodySource` as given. `call` is the
    /// client request's plugin call (the hook gets its token); its operation SY_OP_FILES or
    /// SY_OP_BATCHES. A hook that fails is a 502 naming the provider: the client did nothing wrong.
    func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        bodySource: (any UpstreamBodySource)? = nil, call: CallDescription
    ) throws(GatewayError) -> UpstreamRequest {
        switch configured.plugin.passthrough(call, method: method, path: path) {
        case .none:
            throw GatewayError(status: 501, type: "invalid_request_error", code: "unsupported_by_provider",
                               message: "Provider '\(name)' does not serve files or batches.")
        case .failure(let failure)?:
            throw GatewayError.upstream(status: 502, message: "Provider \(name) could not address \(method) \(path): \(failure.message)")
        case .success(let draft)?:
            let limits = configured.limits
            var request = UpstreamRequest(
                method: method, url: draft.url, headers: draft.headers.map { ($0.name, $0.value) } + headers, body: body,
                connectTimeout: limits.connectTimeout, totalTimeout: limits.totalTimeout,
                firstByteTimeout: limits.firstByteTimeout, idleTimeout: limits.idleTimeout)
            if let bodySource { request.bodySource = bodySource }
            return request
        }
    }
}
