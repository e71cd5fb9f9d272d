import CSwitchyardPlugin
import SwitchyardPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// concurrency.*: 8 threads calling one instance at once must get what serial calls get, and
/// nothing may crash. Always run: the host does not honour SY_F_SERIALIZE_INSTANCE (it calls an
/// instance from every event loop at once), so a plugin that sets it is warned, not spared.
enum ConcurrencyChecks {
    static let threads = 8
    static let callsPerThread = 25

    static let all = [
        ValidationCheck("concurrency.provider") { context in
            with(context.requireProvider()) { provider in
                warnIfSerialized(context)
                return checkProvider(context, provider)
            }
        },
        ValidationCheck("concurrency.guardrail") { context in
            with(context.requireGuardrail()) { guardrail in
                warnIfSerialized(context)
                return checkGuardrail(context, guardrail)
            }
        },
    ]

    static let serializeWarning = "SY_F_SERIALIZE_INSTANCE is not honoured by this host; the instance is called concurrently"

    static func warnIfSerialized(_ context: ValidationContext) {
        guard case .success(let library) = context.library, library.flags & SY_F_SERIALIZE_INSTANCE != 0 else { return }
        context.warn(serializeWarning)
    }

    /// Runs `body(thread, call)` on `threads` threads at once; the first problem any reports.
    static func onThreads(_ body: @escaping @Sendable (Int, Int) -> String?) -> String? {
        let done = Atomic<Int>(0)
        let problem = Mutex<String?>(nil)
        let start = Atomic<Bool>(false)
        for thread in 0..<threads {
            startDetachedThread {
                while !start.load(ordering: .acquiring) { sched_yield() }
                for call in 0..<callsPerThread {
                    if let found = body(thread, call) {
                        problem.withLock { if $0 == nil { $0 = found } }
                        break
                    }
                }
                done.add(1, ordering: .releasing)
            }
        }
        start.store(true, ordering: .releasing)
        while done.load(ordering: .acquiring) < threads { usleep(1000) }
        return problem.withLock { $0 }
    }

    static func checkProvider(_ context: ValidationContext, _ provider: ProviderHarness) -> ValidationVerdict {
        let fixture = provider.plugin.answersLocally ? nil : context.contentFixture(provider, purpose: .chat, stream: true)
        if !provider.plugin.answersLocally && fixture == nil { return .skipped("no streamed upstream answer gives content (see provider.chat-stream)") }
        let request = RequestFixtures.chatBytes(stream: true)
        TransformerLedger.reset()  // what the concurrent calls do to the transformer's states
        let serial = provider.answer(request, stream: true, fixture: fixture)
        if let failed = ProviderChecks.failure(of: serial, "a serial call") { return failed }
        let expected = serial.summary
        let problem = onThreads { thread, call in
            let run = provider.answer(request, stream: true, fixture: fixture, id: "thread-\(thread)-\(call)")
            if let refused = run.refusedOutput { return "thread \(thread), call \(call): \(refused)" }
            if let failure = run.failure { return "thread \(thread), call \(call): \(run.failedHook ?? "a hook") failed with \(failure)" }
            if run.summary != expected { return "thread \(thread), call \(call) gave \(run.summary); serial calls give \(expected)" }
            return nil
        }
        if let problem { return .failed("\(threads) threads × \(callsPerThread) calls on one instance: \(problem)") }
        // A state handed to two calls, used after its free, or freed twice shows only here.
        if let problem = TransformerLedger.snapshot.problems.first {
            return .failed("\(threads) threads × \(callsPerThread) calls on one instance: \(problem)")
        }
        return .passed
    }

    static func checkGuardrail(_ context: ValidationContext, _ guardrail: GuardrailPlugin) -> ValidationVerdict {
        let phase = [SY_PHASE_REQUEST, SY_PHASE_RESPONSE, SY_PHASE_CHUNK].first { guardrail.phases & $0 != 0 }!
        let document = Array(RequestFixtures.guardrailDocument(phase: phase).utf8)
        let box = UncheckedBox((context, guardrail))
        let problem = onThreads { thread, call in
            GuardrailChecks.inspect(box.value.0, box.value.1, phase: phase, document, id: "thread-\(thread)-\(call)")
                .map { "thread \(thread), call \(call): \($0)" }
        }
        return problem.map { .failed("\(threads) threads × \(callsPerThread) inspects on one instance: \($0)") } ?? .passed
    }
}

/// Hands a value to the check's threads, which only read it for the duration of the check.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
