import SwitchyardConfig
import SwitchyardCore
import SwitchyardHTTP

/// `/p/{provider}/{rest}`, any method: checks that the provider exists, takes passthrough and
/// allows the path, plans the request in mode `passthrough` and hands it to the executor. Runs
/// on the connection's loop; a `GatewayError` thrown here is answered in OpenAI's error shape.
struct PassthroughEndpoint {
    static let prefix = "/p/"
    let services: GatewayServices

    func forward(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext, internalRequest: Bool, identity: ClientIdentity? = nil) throws(GatewayError) {
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
        var plan = ExecutionPlan(
            requestID: request.requestID, operation: .passthrough, mode: .passthrough, capabilities: EndpointOperation.passthrough.capabilities,
            stream: false, resolution: ModelResolution(requested: "", resolved: "", aliases: []), attempts: [attempt],
            chains: PluginChains(enrichers: services.enricherNames(for: name)), internalRequest: internalRequest, passthrough: target)
        plan.caller = identity?.caller  // the key's routes were checked when it was identified
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

    /// Why a path could dodge the allow/deny prefixes, or nil when it is plain. Upstreams resolve
    /// dot segments, merge or split on empty segments and backslashes, decode percent-escapes of
    /// unreserved characters (`%6f` is `o`) and drop `;` parameters before they route, so each of
    /// those could spell a denied path another way; no provider API needs them. The escapes left
    /// (`%20`, `%3A`…) encode reserved characters, which spell no letter, digit or `/`.
    static func unnormalized(_ path: Substring) -> String? {
        var segmentStart = 0  // index of the first byte after the last '/'
        var index = 0
        var problem: String?
        path.utf8.withContiguousStorageIfAvailable { bytes in
            func segmentProblem(_ end: Int, last: Bool) -> String? {
                let length = end - segmentStart
                if length == 0 && !last && segmentStart > 0 { return "has an empty segment ('//')" }
                if (length == 1 || length == 2) && bytes[segmentStart..<end].allSatisfy({ $0 == UInt8(ascii: ".") }) { return "has a '.' or '..' segment" }
                return nil
            }
            while index < bytes.count, problem == nil {
                switch bytes[index] {
                case UInt8(ascii: "/"):
                    if index > 0 { problem = segmentProblem(index, last: false) }
                    segmentStart = index + 1
                case UInt8(ascii: "\\"): problem = "has a backslash"
                case UInt8(ascii: ";"): problem = "has a ';' parameter"
                case UInt8(ascii: "%"):
                    guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                        problem = "has a '%' that is not a percent-escape"
                        break
                    }
                    let decoded = high << 4 | low
                    if isUnreserved(decoded) || decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\") {
                        problem = "has a percent-escape of a character that needs none ('%\(Character(UnicodeScalar(bytes[index + 1])))\(Character(UnicodeScalar(bytes[index + 2])))')"
                    }
                    index += 2
                default: break
                }
                index += 1
            }
            if problem == nil { problem = segmentProblem(bytes.count, last: true) }
        } ?? { problem = Self.unnormalized(Substring(String(path))) }()
        return problem
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    private static func forbidden(_ code: String, _ message: String) -> GatewayError {
        GatewayError(status: 403, type: "permission_error", code: code, message: message)
    }
}
