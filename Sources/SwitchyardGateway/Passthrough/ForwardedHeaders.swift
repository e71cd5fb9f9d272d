import SwitchyardHTTP

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
    /// the transport's, `Expect` is answered by the gateway, the request id is the gateway's own,
    /// and every credential scheme a provider reads belongs to the provider.
    static let notForwardedUpstream: Set<String> = [
        "host", "content-length", "expect", "x-request-id", "x-switchyard-internal",
        "authorization", "x-api-key", "x-goog-api-key", "api-key",
    ]

    /// Upstream fields the gateway answers with its own (`Date`; `X-Request-ID` is the gateway's,
    /// the upstream's travels as `X-Upstream-Request-ID`) or that name the upstream's origin, not
    /// the gateway's (`Set-Cookie`, `Alt-Svc`).
    static let notForwardedDownstream: Set<String> = ["content-length", "date", "x-request-id", "set-cookie", "alt-svc"]

    /// Header names that carry a credential in one provider's scheme or another.
    static func isCredential(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "authorization" || lower == "x-api-key" || lower == "x-goog-api-key" || lower == "api-key"
    }

    /// The client's fields for the upstream, after those the provider set (`providerSet`,
    /// lowercased), with `Accept-Encoding: identity` instead of the client's when an enricher
    /// reads the response (it must see the bytes, not a compressed form of them).
    static func upstream(_ client: HTTPHeaders, requestID: String, providerSet: Set<String>, identityEncoding: Bool) -> [(String, String)] {
        let connectionNamed = namedByConnection(client.pairs)
        var forwarded: [(String, String)] = []
        forwarded.reserveCapacity(client.count + 2)
        for (name, value) in client.pairs {
            let lower = name.lowercased()
            if hopByHop.contains(lower) || notForwardedUpstream.contains(lower) || connectionNamed.contains(lower) || providerSet.contains(lower) { continue }
            if identityEncoding, lower == "accept-encoding" { continue }
            forwarded.append((name, value))
        }
        forwarded.append(("X-Request-ID", requestID))
        if identityEncoding { forwarded.append(("Accept-Encoding", "identity")) }
        return forwarded
    }

    /// The upstream's fields for the client, and its `Content-Length` when it sent one.
    static func downstream(_ upstream: [(name: String, value: String)]) -> (headers: HTTPHeaders, contentLength: Int?) {
        let connectionNamed = namedByConnection(upstream)
        var headers = HTTPHeaders()
        var contentLength: Int?
        for (name, value) in upstream {
            let lower = name.lowercased()
            if lower == "content-length" { contentLength = Int(value[...].trimmingSpaces()) }
            if lower == "x-request-id" { headers.add("X-Upstream-Request-ID", value); continue }
            if hopByHop.contains(lower) || notForwardedDownstream.contains(lower) || connectionNamed.contains(lower) { continue }
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
