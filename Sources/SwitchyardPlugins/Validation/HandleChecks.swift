import CSwitchyardPlugin
#if canImport(Glibc)
import Glibc
#endif

/// handles.*: a sink, builder or verdict used after its hook returned. The host refuses such a
/// use (SY_E_HANDLE; nothing reaches a client) and counts it (`PluginHandles.refusals`); here
/// every hook the plugin has runs a few times in a row, and a refusal counted while a hook ran
/// fails the check naming that hook. (Every other check fails too when a refusal is counted
/// during it: see `PluginValidator.runChild`.)
enum HandleChecks {
    static let all = [
        ValidationCheck("handles.after-hook") { context in
            with(context.requireInstance()) { instance in afterHook(context, instance) }
        },
    ]

    static func afterHook(_ context: ValidationContext, _ instance: PluginInstance) -> ValidationVerdict {
        _ = PluginHandles.refusals.take()
        var hooks: [(name: String, run: () -> Void)] = []
        if case .success(let provider) = context.requireProvider() {
            if provider.plugin.answersLocally {
                hooks.append(("generate", { _ = provider.generate(RequestFixtures.chatBytes(stream: true), stream: true) }))
            } else {
                hooks.append(("prepare", { _ = provider.prepare(RequestFixtures.chatBytes(stream: false), stream: false) }))
                if let fixture = context.contentFixture(provider, purpose: .chat, stream: true) {
                    hooks.append(("response transformer", { _ = provider.transform(RequestFixtures.chatBytes(stream: true), stream: true, fixture: fixture) }))
                }
            }
        }
        if case .success(let guardrail) = context.requireGuardrail() {
            for phase in [SY_PHASE_REQUEST, SY_PHASE_RESPONSE, SY_PHASE_CHUNK] where guardrail.phases & phase != 0 {
                hooks.append(("inspect", { _ = GuardrailChecks.inspect(context, guardrail, phase: phase, Array(RequestFixtures.guardrailDocument(phase: phase).utf8), id: "handles") }))
            }
        }
        if case .success(let enricher) = context.requireEnricher() {
            hooks.append(("enricher hooks", { _ = EnricherChecks.observe(context, enricher) }))
        }
        if case .success(let preparer) = context.requireBatchPreparer() {
            hooks.append(("batch hooks", { _ = BatchPreparerChecks.run(context, preparer, end: true) }))
        }
        guard !hooks.isEmpty else { return .skipped("no hook this host knows") }
        for round in 0..<3 {
            for hook in hooks {
                hook.run()
                let refused = PluginHandles.refusals.take()
                if refused.count > 0 {
                    return .failed("a handle used after its hook returned, during \(hook.name) (round \(round + 1)): \(refused.first ?? "") "
                        + "(\(refused.count) refused; a handle is valid only during the hook it was passed to)")
                }
            }
        }
        // A plugin's own thread writing to a kept handle later.
        usleep(50_000)
        let late = PluginHandles.refusals.take()
        if late.count > 0 { return .failed("a handle used after its hook returned, outside any hook: \(late.first ?? "")") }
        return .passed
    }
}
