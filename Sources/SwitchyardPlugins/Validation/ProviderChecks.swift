import CSwitchyardPlugin
import SwitchyardJSON

/// provider.*: fixture requests through `generate`, or `prepare` and the response transformer
/// fed the built-in upstream answers; streams cut at random; upstream errors; a cancellation
/// mid-stream; every transformer state freed exactly once. Every write goes through the host's
/// output check: a refused write fails the check.
enum ProviderChecks {
    static let randomSplits = 16

    static let all = [
        ValidationCheck("provider.chat") { context in with(context.requireProvider()) { chat(context, $0, stream: false) } },
        ValidationCheck("provider.chat-stream") { context in with(context.requireProvider()) { chat(context, $0, stream: true) } },
        ValidationCheck("provider.embeddings") { context in with(context.requireProvider()) { embeddings(context, $0) } },
        ValidationCheck("provider.stream.random-splits") { context in with(context.requireProvider()) { splits(context, $0) } },
        ValidationCheck("provider.upstream-errors") { context in with(context.requireProvider()) { upstreamErrors(context, $0) } },
        ValidationCheck("provider.cancel-mid-stream") { context in with(context.requireProvider()) { cancellation(context, $0) } },
        ValidationCheck("provider.state-freed-once") { context in with(context.requireProvider()) { statesFreed(context, $0) } },
    ]

    static func failure(of run: ProviderHarness.Run, _ what: String) -> ValidationVerdict? {
        if let refused = run.refusedOutput { return .failed("\(what): \(refused)") }
        if let failure = run.failure { return .failed("\(what): \(run.failedHook ?? "a hook") failed with \(failure)") }
        return nil
    }

    static func chat(_ context: ValidationContext, _ provider: ProviderHarness, stream: Bool) -> ValidationVerdict {
        let request = RequestFixtures.chatBytes(stream: stream)
        let what = stream ? "a streamed chat request" : "a chat request"
        if provider.plugin.answersLocally {
            let run = provider.generate(request, stream: stream)
            if let failed = failure(of: run, what) { return failed }
            guard run.summary.jsonWrites > 0 else { return .failed("\(what): generate wrote no SY_OUT_JSON") }
            if !stream, run.summary.jsonWrites != 1 { return .failed("\(what): \(run.summary.jsonWrites) whole responses") }
            return .passed
        }
        switch provider.prepare(request, stream: stream) {
        case .failure(let failure): return .failed("\(what): prepare failed with \(failure)")
        case .success(let builder):
            if builder.method.isEmpty { return .failed("\(what): prepare set no method") }
        }
        var worked: [String] = []
        for fixture in context.fixtures where fixture.purpose == .chat && fixture.stream == stream {
            let run = provider.transform(request, stream: stream, fixture: fixture)
            if let refused = run.refusedOutput { return .failed("\(what), upstream answer \(fixture.name): \(refused)") }
            if run.failure == nil, run.summary.hasContent { worked.append(fixture.name) }
        }
        guard !worked.isEmpty else {
            let names = context.fixtures.filter { $0.purpose == .chat && $0.stream == stream }.map(\.name)
            return .failed("\(what): no upstream answer gave content (tried \(names.joined(separator: ", ")); add the plugin's own with --fixture)")
        }
        return .passed
    }

    static func embeddings(_ context: ValidationContext, _ provider: ProviderHarness) -> ValidationVerdict {
        guard provider.operations.contains("embeddings") else { return .skipped("the manifest's operations do not list embeddings") }
        let request = Array(RequestFixtures.embeddings.utf8)
        if provider.plugin.answersLocally {
            let run = provider.generate(request, operation: SY_OP_EMBEDDINGS, stream: false)
            return failure(of: run, "an embeddings request") ?? (run.summary.jsonWrites == 1 ? .passed : .failed("an embeddings request: \(run.summary.jsonWrites) whole responses"))
        }
        if case .failure(let failure) = provider.prepare(request, operation: SY_OP_EMBEDDINGS, stream: false) {
            return .failed("an embeddings request: prepare failed with \(failure)")
        }
        var worked = false
        for fixture in context.fixtures where fixture.purpose == .embeddings {
            let run = provider.transform(request, operation: SY_OP_EMBEDDINGS, stream: false, fixture: fixture)
            if let refused = run.refusedOutput { return .failed("an embeddings request, upstream answer \(fixture.name): \(refused)") }
            if run.failure == nil, run.summary.hasContent { worked = true }
        }
        return worked ? .passed : .failed("an embeddings request: no upstream answer gave an embedding")
    }

    /// Every fixture that gives content, whole and as a stream, fed in random chunks (split 0:
    /// one byte at a time) must give the same content, finish reason and usage as fed whole.
    static func splits(_ context: ValidationContext, _ provider: ProviderHarness) -> ValidationVerdict {
        guard !provider.plugin.answersLocally else { return .skipped("the provider answers locally (generate): no upstream bytes to split") }
        var random = ValidationRandom(seed: context.seed)
        var tried = 0
        for stream in [true, false] {
            guard let fixture = context.contentFixture(provider, purpose: .chat, stream: stream) else { continue }
            let request = RequestFixtures.chatBytes(stream: stream)
            let whole = provider.transform(request, stream: stream, fixture: fixture).summary
            for split in 0...randomSplits {
                let lengths = RandomSplits.lengths(of: fixture.body.count, split: split, random: &random)
                let run = provider.transform(request, stream: stream, fixture: fixture, chunks: RandomSplits.chunks(fixture.body, lengths: lengths))
                if let failed = failure(of: run, "\(fixture.name) at split \(split) (seed \(context.seed))") { return failed }
                if run.summary != whole {
                    return .failed("output differs from the whole feed at split \(split) (seed \(context.seed)) of \(fixture.name): "
                        + "whole gave \(whole), split gave \(run.summary); chunk lengths \(lengths.prefix(24).map(String.init).joined(separator: ","))\(lengths.count > 24 ? ",..." : "")")
                }
            }
            tried += 1
        }
        return tried > 0 ? .passed : .skipped("no upstream answer gives content (see provider.chat)")
    }

    static func upstreamErrors(_ context: ValidationContext, _ provider: ProviderHarness) -> ValidationVerdict {
        guard !provider.plugin.answersLocally else { return .skipped("the provider answers locally (generate): no upstream to fail") }
        for stream in [false, true] {
            let request = RequestFixtures.chatBytes(stream: stream)
            for fixture in context.fixtures where fixture.purpose == .error {
                let run = provider.transform(request, stream: stream, fixture: fixture)
                let what = "upstream \(fixture.name)\(stream ? " (stream)" : "")"
                if let refused = run.refusedOutput { return .failed("\(what): \(refused)") }
                guard let failure = run.failure else { return .failed("\(what): the transformer returned SY_OK (SY_E_UPSTREAM expected)") }
                guard failure.status == SY_E_UPSTREAM else { return .failed("\(what): \(failure) (SY_E_UPSTREAM expected)") }
                guard run.summary.errorWritten else { return .failed("\(what): SY_E_UPSTREAM without an SY_OUT_ERROR_JSON write for the client") }
                if run.summary.hasContent { return .failed("\(what): content written for an upstream error") }
            }
        }
        return .passed
    }

    /// The client leaves after the first chunk: the call is cancelled and the sink answers
    /// SY_E_CANCELLED; the plugin must stop with an error, promptly.
    static func cancellation(_ context: ValidationContext, _ provider: ProviderHarness) -> ValidationVerdict {
        let request = RequestFixtures.chatBytes(stream: true)
        let run: ProviderHarness.Run
        if provider.plugin.answersLocally {
            run = provider.generate(request, stream: true, cancelAfterWrites: 1)
        } else {
            guard let fixture = context.contentFixture(provider, purpose: .chat, stream: true) else {
                return .skipped("no streamed upstream answer gives content (see provider.chat-stream)")
            }
            let lengths = Array(repeating: 16, count: fixture.body.count / 16) + (fixture.body.count % 16 == 0 ? [] : [fixture.body.count % 16])
            run = provider.transform(request, stream: true, fixture: fixture, chunks: RandomSplits.chunks(fixture.body, lengths: lengths), cancelAfterChunk: 1)
        }
        if let refused = run.refusedOutput { return .failed(refused) }
        guard let failure = run.failure else {
            if run.cancelledWrites == 0 {
                context.warn("the plugin wrote nothing after the cancellation, so the sink never answered SY_E_CANCELLED (check host->call_cancelled)")
                return .passed
            }
            return .failed("the sink answered SY_E_CANCELLED \(run.cancelledWrites) time(s) and the plugin went on to return SY_OK: stop and return the status")
        }
        if let seconds = run.secondsAfterCancel, seconds > 1 {
            return .failed("\(run.failedHook ?? "the hook") took \(seconds) s to return after the cancellation")
        }
        if failure.status != SY_E_CANCELLED { context.warn("returned \(PluginStatus.name(failure.status)) after the cancellation (SY_E_CANCELLED expected)") }
        return .passed
    }

    static func statesFreed(_ context: ValidationContext, _ provider: ProviderHarness) -> ValidationVerdict {
        guard !provider.plugin.answersLocally else { return .skipped("the provider answers locally (generate): no transformer states") }
        TransformerLedger.reset()
        var random = ValidationRandom(seed: context.seed)
        for fixture in context.fixtures where fixture.purpose != .embeddings {
            let request = RequestFixtures.chatBytes(stream: fixture.stream)
            let lengths = RandomSplits.lengths(of: fixture.body.count, split: 1, random: &random)
            _ = provider.transform(request, stream: fixture.stream, fixture: fixture)
            _ = provider.transform(request, stream: fixture.stream, fixture: fixture, chunks: RandomSplits.chunks(fixture.body, lengths: lengths), cancelAfterChunk: 1)
        }
        let ledger = TransformerLedger.snapshot
        if let problem = ledger.problems.first { return .failed(problem) }
        guard ledger.begun == ledger.freed, ledger.live == 0 else {
            return .failed("\(ledger.begun) states begun, \(ledger.freed) freed, \(ledger.live) still live")
        }
        return ledger.begun > 0 ? .passed : .failed("no transformer begin succeeded")
    }
}
