import CSwitchyardPlugin

/// leak.*: resident memory across many calls of the plugin's main path must level off: growth
/// beyond a bound after a warm-up is a failure (a per-call leak of a few KiB shows in a few
/// thousand calls; the bound leaves room for caches and allocator slack).
enum LeakChecks {
    static let warmUp = 200
    static let calls = 2000
    static let growthBound = 24 << 20

    static let all = [
        ValidationCheck("leak.calls") { context in
            with(context.requireInstance()) { _ in calls(context) }
        },
    ]

    static func calls(_ context: ValidationContext) -> ValidationVerdict {
        let call: () -> Void
        let what: String
        var scale = 1  // an enricher or batch "call" is several hook sequences: fewer of them
        if case .success(let provider) = context.requireProvider() {
            let fixture = provider.plugin.answersLocally ? nil : context.contentFixture(provider, purpose: .chat, stream: true)
            let request = RequestFixtures.chatBytes(stream: true)
            call = { _ = provider.answer(request, stream: true, fixture: fixture) }
            what = provider.plugin.answersLocally ? "generate" : fixture == nil ? "prepare" : "prepare + transformer"
        } else if case .success(let guardrail) = context.requireGuardrail() {
            let phase = [SY_PHASE_REQUEST, SY_PHASE_RESPONSE, SY_PHASE_CHUNK].first { guardrail.phases & $0 != 0 }!
            let document = Array(RequestFixtures.guardrailDocument(phase: phase).utf8)
            call = { _ = GuardrailChecks.inspect(context, guardrail, phase: phase, document, id: "leak") }
            what = "inspect"
        } else if case .success(let enricher) = context.requireEnricher() {
            call = { _ = EnricherChecks.observe(context, enricher) }
            what = "enricher exchanges"
            scale = EnricherChecks.exchanges.count
        } else if case .success(let preparer) = context.requireBatchPreparer() {
            call = { _ = BatchPreparerChecks.run(context, preparer, end: true) }
            what = "batch runs"
            scale = BatchPreparerChecks.lines.count
        } else {
            return .skipped("no hook this host knows")
        }
        let (warmUp, calls) = (warmUp / scale, calls / scale)
        for _ in 0..<warmUp { call() }
        let before = residentBytes()
        for _ in 0..<calls { call() }
        let growth = residentBytes() - before
        if growth > growthBound {
            return .failed("resident memory grew \(mebibytes(growth)) over \(calls) calls (\(what)) after \(warmUp) to warm up; bound \(mebibytes(growthBound))")
        }
        return .passed
    }
}
