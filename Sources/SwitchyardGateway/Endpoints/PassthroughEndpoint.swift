import SwitchyardConfig
import SwitchyardCore
import SwitchyardHTTP

/// `/p/{provider}/{rest}`, any method: checks that the provider exists, takes passthrough and
/// allows the path, plans the request in mode `passthrough` and hands it to the executor. Runs
/// on the connection's loop; a `GatewayError` thrown here is answered in OpenAI's error shape.
struct PassthroughEndpoint {
    static let prefix = "/p/"
    let services: GatewayServices

    func forward(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext, internalRequest: Bool) throws(GatewayError) {
        let (name, path) = Self.split(request.target)
        guard let provider = services.providers[name] else {
            let open = services.providers.filter { $0.value.passthrough != nil }.keys.sorted()
            throw GatewayError(
                status: 404, type: "invalid_request_error", code: "unknown_provider",
                message: "No provider named '\(name)' (passthrough is enabled for \(open.isEmpty ? "none" : open.joined(separator: ", "))).")
        }
        guard let policy = provider.passthrough else {
            throw Self.forbidden("passthrough_disabled", "Passthrough to provider '\(name)' is not enabled (providers[].passthrough in the gateway's config).")
        }
        guard provider.plugin.takesPassthrough else {
            throw Self.forbidden("passthrough_unsupported", "Provider '\(name)' does not take passthrough requests (its plugin has no passthrough hook).")
        }
        let target = PassthroughTarget(method: request.method, path: path)
        if let problem = Self.unnormalized(target.pathOnly) {
            throw GatewayError.invalidRequest("The passthrough path \(problem); send the path as the provider's API documents it.", code: "invalid_path")
        }
        if let why = policy.refusal(of: String(target.pathOnly)) {
            throw Self.forbidden("passthrough_path_denied", "Passthrough to provider '\(name)' does not allow the path '\(target.pathOnly)': \(why).")
        }
        let attempt = Attempt(provider: name, plugin: provider.plugin.name, upstreamModel: "", operation: .passthrough)
        let plan = ExecutionPlan(
            requestID: request.requestID, operation: .passthrough, mode: .passthrough, capabilities: EndpointOperation.passthrough.capabilities,
            stream: false, resolution: ModelResolution(requested: "", resolved: "", aliases: []), attempts: [attempt],
            chains: PluginChains(enrichers: services.enricherNames(for: name)), internalRequest: internalRequest, passthrough: target)
        PassthroughExecutor(plan: plan, request: request, provider: provider, writer: writer, services: services, context: context).start()
    }

    /// "/p/openai/v1/models?x=1" → ("openai", "/v1/models?x=1"); the rest keeps the client's
    /// bytes (the query untouched) and always starts with "/".
    static func split(_ target: String) -> (provider: String, path: String) {
        let afterPrefix = target.utf8.dropFirst(prefix.utf8.count)
        let nameEnd = afterPrefix.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? afterPrefix.endIndex
        let name = String(Substring(afterPrefix[..<nameEnd]))
        let rest = String(Substring(afterPrefix[nameEnd...]))
        return (name, rest.hasPrefix("/") ? rest : "/" + rest)
    }

    /// Why a path could dodge the allow/deny prefixes (dot segments, empty segments, encoded
    /// slashes or dots, backslashes), or nil when it is plain.
    static func unnormalized(_ path: Substring) -> String? {
        let lower = path.lowercased()
        if lower.contains("%2f") || lower.contains("%5c") || lower.contains("%2e") { return "has an encoded '/', '\\' or '.'" }
        if path.contains("\\") { return "has a backslash" }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if segments.dropLast().contains(where: \.isEmpty) { return "has an empty segment ('//')" }
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return "has a '.' or '..' segment" }
        return nil
    }

    private static func forbidden(_ code: String, _ message: String) -> GatewayError {
        GatewayError(status: 403, type: "permission_error", code: code, message: message)
    }
}
