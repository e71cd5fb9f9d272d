import CSwitchyardPlugin
import SwitchyardJSON

/// malformed.*: truncated, non-object, wrongly typed, invalid UTF-8, deeply nested and random
/// JSON (seeded) into every hook the plugin has: an error status or output the host accepts,
/// never a crash or a hang (the parent's per-check timeout catches a hang).
enum MalformedInputChecks {
    static let randomCount = 48

    static let all = [
        ValidationCheck("malformed.provider") { context in with(context.requireProvider()) { provider(context, $0) } },
        ValidationCheck("malformed.guardrail") { context in with(context.requireGuardrail()) { guardrail(context, $0) } },
        ValidationCheck("malformed.enricher") { context in with(context.requireEnricher()) { enricher(context, $0) } },
        ValidationCheck("malformed.batch") { context in with(context.requireBatchPreparer()) { batch(context, $0) } },
    ]

    static func corpus(_ context: ValidationContext, _ valid: String) -> [(name: String, bytes: [UInt8])] {
        var random = ValidationRandom(seed: context.seed)
        return MalformedJSON.corpus(from: valid, randomCount: randomCount, random: &random)
    }

    static func provider(_ context: ValidationContext, _ provider: ProviderHarness) -> ValidationVerdict {
        for stream in [false, true] {
            for input in corpus(context, stream ? RequestFixtures.chatStream : RequestFixtures.chat) {
                let hook = provider.plugin.answersLocally ? "generate" : "prepare"
                if provider.plugin.answersLocally {
                    let run = provider.generate(input.bytes, stream: stream)
                    if let refused = run.refusedOutput { return .failed("\(hook) given \(input.name) (seed \(context.seed)): \(refused)") }
                } else {
                    _ = provider.prepare(input.bytes, stream: stream)
                }
            }
        }
        guard !provider.plugin.answersLocally else { return .passed }
        for fixture in context.fixtures where fixture.purpose == .chat {
            let request = RequestFixtures.chatBytes(stream: fixture.stream)
            for input in corpus(context, String(decoding: fixture.body, as: UTF8.self)) {
                let run = provider.transform(request, stream: fixture.stream, fixture: fixture.with(body: input.bytes, name: input.name))
                if let refused = run.refusedOutput {
                    return .failed("the transformer fed \(input.name) as a \(fixture.name) answer (seed \(context.seed)): \(refused)")
                }
            }
        }
        return .passed
    }

    static func guardrail(_ context: ValidationContext, _ guardrail: GuardrailPlugin) -> ValidationVerdict {
        for phase in [SY_PHASE_REQUEST, SY_PHASE_RESPONSE, SY_PHASE_CHUNK] where guardrail.phases & phase != 0 {
            for input in corpus(context, RequestFixtures.guardrailDocument(phase: phase)) {
                if let problem = GuardrailChecks.inspect(context, guardrail, phase: phase, input.bytes, id: "malformed") {
                    return .failed("\(GuardrailChecks.phaseName(phase)) phase, inspect given \(input.name) (seed \(context.seed)): \(problem)")
                }
            }
        }
        return .passed
    }

    static func enricher(_ context: ValidationContext, _ enricher: EnricherPlugin) -> ValidationVerdict {
        for exchange in EnricherChecks.exchanges {
            for input in corpus(context, String(decoding: exchange.response.body, as: UTF8.self)) {
                let verdict: ValidationVerdict? = ValidationCallSource.withCall("malformed", endpoint: "passthrough") { call in
                    let description = CallDescription(operation: SY_OP_PASSTHROUGH, stream: exchange.response.stream, attempt: 0,
                                                      requestID: "malformed", upstreamModel: RequestFixtures.model, handle: call.handle)
                    guard case .observing(let observation) = enricher.begin(description, request: EnricherChecks.head(exchange)) else { return nil }
                    defer { observation.close() }
                    _ = input.bytes.withUnsafeBytes { observation.data(phase: SY_PHASE_REQUEST, $0) }
                    _ = observation.response(ExchangeHead(status: 200, method: exchange.method, path: exchange.path))
                    _ = input.bytes.withUnsafeBytes { observation.data(phase: SY_PHASE_RESPONSE, $0) }
                    if case .failure(let failure) = observation.end(outcome: SY_OK), failure.refusedByHost {
                        return .failed("\(exchange.path) with a \(input.name) body (seed \(context.seed)): \(failure)")
                    }
                    return nil
                }
                if let verdict { return verdict }
            }
        }
        return .passed
    }

    static func batch(_ context: ValidationContext, _ preparer: BatchPreparerPlugin) -> ValidationVerdict {
        for input in corpus(context, BatchPreparerChecks.lines[0]) where !input.bytes.isEmpty {
            let verdict: ValidationVerdict? = ValidationCallSource.withCall("malformed", endpoint: "batches") { call in
                guard case .success(let run) = BatchPreparerChecks.begin(preparer, call, id: "malformed") else { return nil }
                defer { run.close() }
                if case .refuse(let failure) = input.bytes.withUnsafeBytes({ run.line(number: 1, $0) }), failure.refusedByHost {
                    return .failed("line given \(input.name) (seed \(context.seed)): \(failure)")
                }
                return nil
            }
            if let verdict { return verdict }
        }
        return .passed
    }
}
