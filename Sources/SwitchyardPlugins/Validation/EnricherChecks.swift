import CSwitchyardPlugin
import SwitchyardJSON

/// enricher.*: begin / data / response / end / state_free over fixture exchanges of the three
/// API families (OpenAI, Anthropic, Gemini), bodies cut at random: at least one must be observed
/// and reported in a form the host takes; calls cut short (no response, a cancelled client) end
/// cleanly.
enum EnricherChecks {
    struct Exchange {
        let method: String
        let path: String
        let request: String
        let response: UpstreamFixture
    }

    static var exchanges: [Exchange] {
        let fixture = { (name: String) in UpstreamFixtures.all.first { $0.name == name }! }
        return [
            Exchange(method: "POST", path: "/v1/chat/completions", request: RequestFixtures.chat, response: fixture("openai.json")),
            Exchange(method: "POST", path: "/v1/chat/completions", request: RequestFixtures.chatStream, response: fixture("openai.sse")),
            Exchange(method: "POST", path: "/v1/embeddings", request: RequestFixtures.embeddings, response: fixture("openai.embeddings")),
            Exchange(method: "POST", path: "/v1/messages", request: #"{"model":"validator-model","max_tokens":32,"messages":[{"role":"user","content":"Say hello."}]}"#, response: fixture("anthropic.json")),
            Exchange(method: "POST", path: "/v1/messages", request: #"{"model":"validator-model","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"Say hello."}]}"#, response: fixture("anthropic.sse")),
            Exchange(method: "POST", path: "/v1beta/models/validator-model:generateContent", request: #"{"contents":[{"role":"user","parts":[{"text":"Say hello."}]}]}"#, response: fixture("gemini.json")),
            Exchange(method: "POST", path: "/v1beta/models/validator-model:streamGenerateContent?alt=sse", request: #"{"contents":[{"role":"user","parts":[{"text":"Say hello."}]}]}"#, response: fixture("gemini.sse")),
        ]
    }

    static let all = [
        ValidationCheck("enricher.exchanges") { context in with(context.requireEnricher()) { observe(context, $0, note: true) } },
        ValidationCheck("enricher.cut-short") { context in with(context.requireEnricher()) { cutShort(context, $0) } },
    ]

    static func head(_ exchange: Exchange) -> ExchangeHead {
        ExchangeHead(method: exchange.method, path: exchange.path, headers: [("content-type", "application/json")])
    }

    static func observe(_ context: ValidationContext, _ enricher: EnricherPlugin, note: Bool = false) -> ValidationVerdict {
        var random = ValidationRandom(seed: context.seed)
        var reported: [String] = []
        for (index, exchange) in exchanges.enumerated() {
            let outcome: ValidationVerdict? = ValidationCallSource.withCall("enricher-\(index)", endpoint: "passthrough") { call in
                let description = CallDescription(operation: SY_OP_PASSTHROUGH, stream: exchange.response.stream, attempt: 0,
                                                  requestID: "enricher-\(index)", upstreamModel: RequestFixtures.model, handle: call.handle)
                let observation: EnricherObservation
                switch enricher.begin(description, request: head(exchange)) {
                case .declined: return nil
                case .failed(let failure): return .failed("\(exchange.method) \(exchange.path): begin failed with \(failure)")
                case .observing(let started): observation = started
                }
                defer { observation.close() }
                let what = "\(exchange.method) \(exchange.path)"
                if let failure = Array(exchange.request.utf8).withUnsafeBytes({ observation.data(phase: SY_PHASE_REQUEST, $0) }) {
                    return .failed("\(what): data(request) failed with \(failure)")
                }
                let response = ExchangeHead(status: 200, method: exchange.method, path: exchange.path, headers: [("content-type", exchange.response.contentType)])
                if let failure = observation.response(response) { return .failed("\(what): response failed with \(failure)") }
                let lengths = RandomSplits.lengths(of: exchange.response.body.count, split: 1 + index, random: &random)
                for chunk in RandomSplits.chunks(exchange.response.body, lengths: lengths) {
                    if let failure = chunk.withUnsafeBytes({ observation.data(phase: SY_PHASE_RESPONSE, $0) }) {
                        return .failed("\(what): data(response) failed with \(failure) (seed \(context.seed))")
                    }
                }
                switch observation.end(outcome: SY_OK) {
                case .failure(let failure): return .failed("\(what): end failed: \(failure)")
                case .success(let report): if report != nil { reported.append(exchange.path) }
                }
                return nil
            }
            if let outcome { return outcome }
        }
        if reported.isEmpty { return .failed("no fixture exchange was observed and reported (OpenAI, Anthropic, Gemini paths tried)") }
        return .passed
    }

    static func cutShort(_ context: ValidationContext, _ enricher: EnricherPlugin) -> ValidationVerdict {
        for (index, exchange) in exchanges.enumerated() {
            for outcome in [SY_E_CANCELLED, SY_E_UPSTREAM] {
                let verdict: ValidationVerdict? = ValidationCallSource.withCall("cut-\(index)", endpoint: "passthrough") { call in
                    let description = CallDescription(operation: SY_OP_PASSTHROUGH, stream: exchange.response.stream, attempt: 0,
                                                      requestID: "cut-\(index)", upstreamModel: RequestFixtures.model, handle: call.handle)
                    guard case .observing(let observation) = enricher.begin(description, request: head(exchange)) else { return nil }
                    defer { observation.close() }
                    _ = Array(exchange.request.utf8).withUnsafeBytes { observation.data(phase: SY_PHASE_REQUEST, $0) }
                    if case .failure(let failure) = observation.end(outcome: outcome), failure.refusedByHost {
                        return .failed("\(exchange.path), ended with \(PluginStatus.name(outcome)) before any response: \(failure)")
                    }
                    return nil
                }
                if let verdict { return verdict }
            }
            // Begun and freed with no end at all (a call the host abandons).
            ValidationCallSource.withCall("abandoned-\(index)", endpoint: "passthrough") { call in
                let description = CallDescription(operation: SY_OP_PASSTHROUGH, stream: false, attempt: 0, requestID: "abandoned-\(index)",
                                                  upstreamModel: RequestFixtures.model, handle: call.handle)
                if case .observing(let observation) = enricher.begin(description, request: head(exchange)) { observation.close() }
            }
        }
        return .passed
    }
}

extension ValidationContext {
    func requireEnricher() -> Result<EnricherPlugin, ValidationSkip> {
        requireInterface(SY_IFACE_ENRICHER, kind: "enricher", article: "an").flatMap { instance, table in
            EnricherPlugin(name: instance.name, instance: instance.pluginInstance, hostInstance: instance.host.handle, table: table)
                .map { .success($0) } ?? .failure(ValidationSkip("the enricher table is unusable (see manifest.interfaces)"))
        }
    }
}
