import CSwitchyardPlugin
import SwitchyardPlugins
import SwitchyardUpstream

/// Enrichers on native routes: when the provider takes the client's own format (Anthropic
/// messages on an Anthropic provider, Responses on OpenAI), the enrichers configured for it watch
/// the upstream exchange as they watch a passthrough one: the request the provider built (less its
/// credentials), the upstream's head and raw body bytes. The provider's own usage wins in the
/// access log; the enrichers' counts when it reported none, and they add the operation and audit path.
///
/// Translated attempts have none: the provider plugin reports usage in the canonical form.
extension PlanExecutor {
    /// Called once the attempt's upstream request has been started.
    func watchNativeAttempt(_ draft: UpstreamRequestBuilder) {
        let attempt = plan.attempts[attemptIndex]
        guard attempt.mode(for: plan.operation) == .native else { return }
        let entries = services.enrichers(for: attempt.provider, among: plan.chains.enrichers)
        guard !entries.isEmpty else { return }
        let head = ExchangeHead(
            status: 0, method: draft.method, path: Self.pathAndQuery(of: draft.url),
            headers: draft.headers.filter { !ForwardedHeaders.isCredential($0.name) })
        guard let tap = EnricherTap(entries, call: call, request: head, log: services.log, watch: context.hookWatch) else { return }
        enricherTap = tap
        if tap.readsRequestBody { draft.body.withUnsafeBytes { tap.requestData($0) } }
    }

    func endEnrichers(outcome: sy_status) {
        enrichment = enricherTap?.end(outcome: outcome)
        enricherTap = nil
    }

    /// "https://api.anthropic.com/v1/messages?x=1" → "/v1/messages?x=1" (the builder checked the
    /// URL is absolute http(s)).
    static func pathAndQuery(of url: String) -> String {
        let bytes = Array(url.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes.count > colon + 3 else { return "/" }
        let authority = colon + 3
        guard let end = bytes[authority...].firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else { return "/" }
        let rest = String(decoding: bytes[end...], as: UTF8.self)
        return rest.hasPrefix("/") ? rest : "/" + rest
    }
}
