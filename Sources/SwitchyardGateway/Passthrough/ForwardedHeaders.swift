import SwitchyardHTTP
import SwitchyardPlugins

/// Which header fields cross the gateway in passthrough, each way (docs/passthrough.md).
///
/// Hop-by-hop fields (RFC 9110 §7.6.1: `Connection`, the fields it names, and the classic list)
/// describe one connection, not the message, and never cross. Framing (`Content-Length`,
/// `Transfer-Encoding`) is the transport's on each side. The client's credentials never reach
/// the upstream: the provider adds its own. Everything else is forwarded in order, untouched.
enum ForwardedHeaders {
    /// The classic hop-by-hop fields, lowercased.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authorization", "proxy-authenticate",
    ]

    /// Client fields the gateway replaces or keeps for itself: the upstream's host and framing are
    /// the transport's, `Expect` is answered by the gateway, the request id and the trace context
    /// are the gateway's own (the client's trace continues in them, TraceContext).
    static let notForwardedUpstream: Set<String> = ["host", "content-length", "expect", "x-request-id", "x-switchyard-internal", "traceparent", "tracestate"]

    /// Fields that carry a credential, or choose what the provider's key is billed to, in one
    /// provider's scheme or another: they belong to the provider entry, never to a client. Names
    /// are compared with "_" read as "-" (CGI-style servers fold the two together).
    static let credentials: Set<String> = [
        "authorization", "x-api-key", "x-goog-api-key", "api-key", "ocp-apim-subscription-key", "cookie",
        "openai-organization", "openai-project", "x-goog-user-project",
    ]

    /// Upstream fields the gateway answers with its own (`Date`; `X-Request-ID` is the gateway's,
    /// the upstream's travels as `X-Upstream-Request-ID`) or that name the upstream's origin, not
    /// the gateway's (`Set-Cookie`, `Alt-Svc`).
    static let notForwardedDownstream: Set<String> = ["content-length", "date", "x-request-id", "set-cookie", "alt-svc"]

    static func isCredential(_ name: String) -> Bool {
        credentials.contains(String(name.lowercased().map { $0 == "_" ? "-" : $0 }))
    }

    /// The client's fields for the upstream, after those the provider set (`providerSet`,
    /// lowercased), with `Accept-Encoding: identity` instead of the client's when an enricher
    /// reads the response (it must see the bytes, not a compressed form of them).
    static func upstream(_ client: HTTPHeaders, requestID: String, trace: (parent: String, state: String?)? = nil, providerSet: Set<String>,
                         identityEncoding: Bool) -> [(String, String)] {
        let connectionNamed = namedByConnection(client.pairs)
        var forwarded: [(String, String)] = []
        forwarded.reserveCapacity(client.count + 2)
        for (name, value) in client.pairs {
            let lower = name.lowercased()
            if hopByHop.contains(lower) || notForwardedUpstream.contains(lower) || connectionNamed.contains(lower) || providerSet.contains(lower) { continue }
            if isCredential(lower) { continue }
            if identityEncoding, lower == "accept-encoding" { continue }
            forwarded.append((name, value))
        }
        forwarded.append(("X-Request-ID", requestID))
        if let trace {
            if !providerSet.contains("traceparent") { forwarded.append(("traceparent", trace.parent)) }
            if let state = trace.state, !providerSet.contains("tracestate") { forwarded.append(("tracestate", state)) }
        }
        if identityEncoding { forwarded.append(("Accept-Encoding", "identity")) }
        return forwarded
    }

    /// The upstream's fields for the client, and its `Content-Length` when it sent one. A field
    /// whose name is not a token or whose value holds CR, LF or NUL is dropped (a client that
    /// reads a bare CR as a line end would see a field the upstream smuggled), and so is any
    /// `X-Switchyard-*`: those are the gateway's to say.
    static func downstream(_ upstream: [(name: String, value: String)]) -> (headers: HTTPHeaders, contentLength: Int?) {
        let connectionNamed = namedByConnection(upstream)
        var headers = HTTPHeaders()
        var contentLength: Int?
        for (name, value) in upstream {
            let lower = name.lowercased()
            if lower == "content-length" { contentLength = Int(value[...].trimmingSpaces()) }
            if name.isEmpty || !name.utf8.allSatisfy(UpstreamRequestBuilder.isTokenByte) || value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) { continue }
            if lower == "x-request-id" { headers.add("X-Upstream-Request-ID", value); continue }
            if hopByHop.contains(lower) || notForwardedDownstream.contains(lower) || connectionNamed.contains(lower) || lower.hasPrefix("x-switchyard-") { continue }
            headers.add(name, value)
        }
        // A body sent chunked has no length to forward, whatever a stray Content-Length said.
        if upstream.contains(where: { $0.name.lowercased() == "transfer-encoding" }) { contentLength = nil }
        return (headers, contentLength)
    }

    /// Field names listed in `Connection` (lowercased): hop-by-hop by declaration.
    private static func namedByConnection(_ fields: [(name: String, value: String)]) -> Set<String> {
        var named: Set<String> = []
        for (name, value) in fields where HTTPHeaders.equalIgnoringCase(name, "connection") {
            for token in value.split(separator: ",") { named.insert(token.trimmingSpaces().lowercased()) }
        }
        return named
    }
}
