import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPosix

/// Drives one provider instance the way the gateway does, through the host's own wrapper
/// (`ProviderPlugin`: the call description, the lent sinks and builders, `PluginOutputCheck` on
/// every write), with the transformer's states counted by `TransformerLedger`.
///
/// Threading: every method may run on any thread; one call at a time per thread (the
/// concurrency check runs several threads, each with its own calls).
final class ProviderHarness: @unchecked Sendable {  // immutable after init
    let plugin: ProviderPlugin
    let operations: [String]

    init(instance: PluginInstance, table: UnsafeRawPointer) throws(ValidationSkip) {
        guard let plugin = ProviderPlugin(name: instance.name, instance: instance.pluginInstance, table: TransformerLedger.shadow(provider: table)) else {
            throw ValidationSkip("the provider table is unusable")
        }
        self.plugin = plugin
        operations = instance.library.manifest["operations"]?.arrayValue?.compactMap(\.stringValue) ?? ["chat_completions"]
    }

    /// One request's outcome.
    struct Run {
        var writes: [(kind: UInt32, bytes: [UInt8])] = []
        var failure: PluginFailure?
        /// The hook whose result ended the run ("generate", "prepare", "begin", "data", "end").
        var failedHook: String?
        /// Set when the host refused a write (`PluginOutputCheck`): always a failure.
        var refusedOutput: String?
        /// After a cancellation: how long the plugin took to return from the hook that saw it.
        var secondsAfterCancel: Double?
        /// Writes the sink answered SY_E_CANCELLED.
        var cancelledWrites = 0

        var summary: ProviderOutputSummary { ProviderOutputSummary(writes) }
    }

    static func isRefusal(_ failure: PluginFailure?) -> String? {
        guard let failure, failure.refusedByHost else { return nil }
        return failure.message
    }

    func description(_ call: PluginCall, operation: UInt32, stream: Bool, request: [UInt8]) -> CallDescription {
        CallDescription(operation: operation, stream: stream, attempt: 0, requestID: call.requestID ?? "validator",
                        upstreamModel: RequestFixtures.model, request: request, handle: call.handle)
    }

    /// `generate` for `request`; with `cancelAfterWrites`, the sink answers SY_E_CANCELLED once
    /// that many writes were taken, and the call is cancelled at the first write it refuses
    /// (call_cancelled reads 1 from then on). The time after the cancellation counts from that
    /// write, not from the start: a slow generate is not a slow reaction.
    func generate(_ request: [UInt8], operation: UInt32 = SY_OP_CHAT_COMPLETIONS, stream: Bool, cancelAfterWrites: Int? = nil, id: String = "validator") -> Run {
        ValidationCallSource.withCall(id, stream: stream) { call in
            let sink = CollectingSink()
            if let cancelAfterWrites {
                sink.cancelAfterWrites = cancelAfterWrites
                if cancelAfterWrites == 0 { call.cancel() }
                sink.onFirstCancelled = { call.cancel() }
            }
            let started = monotonicNanoseconds()
            let failure = request.withUnsafeBytes { body in
                plugin.generate(description(call, operation: operation, stream: stream, request: request), body: body, output: sink)
            }
            var run = Run(writes: sink.writes, failure: failure, failedHook: failure == nil ? nil : "generate", refusedOutput: Self.isRefusal(failure))
            run.cancelledWrites = sink.refusedAsCancelled
            if cancelAfterWrites != nil {
                run.secondsAfterCancel = Double(monotonicNanoseconds() - (sink.firstCancelledAt ?? started)) / 1e9
            }
            return run
        }
    }

    /// `prepare` for `request`: the builder, or the failure.
    func prepare(_ request: [UInt8], operation: UInt32 = SY_OP_CHAT_COMPLETIONS, stream: Bool, id: String = "validator") -> Result<UpstreamRequestBuilder, PluginFailure> {
        ValidationCallSource.withCall(id, stream: stream) { call in
            request.withUnsafeBytes { body in plugin.prepare(description(call, operation: operation, stream: stream, request: request), body: body) }
        }
    }

    /// The response transformer fed `fixture`'s body in `chunks` (nil: whole); with
    /// `cancelAfterChunk`, the call is cancelled after that many data calls and the sink answers
    /// SY_E_CANCELLED from then on.
    func transform(_ request: [UInt8], operation: UInt32 = SY_OP_CHAT_COMPLETIONS, stream: Bool, fixture: UpstreamFixture,
                   chunks: [ArraySlice<UInt8>]? = nil, cancelAfterChunk: Int? = nil, id: String = "validator") -> Run {
        ValidationCallSource.withCall(id, stream: stream) { call in
            let sink = CollectingSink()
            var run = Run()
            let callDescription = description(call, operation: operation, stream: stream, request: request)
            let headers = [(name: "content-type", value: fixture.contentType), (name: "x-request-id", value: "upstream-\(id)")]
            switch plugin.beginResponse(callDescription, status: fixture.status, headers: headers) {
            case .failure(let failure):
                run.failure = failure
                run.failedHook = "begin"
                return run
            case .success(let transformation):
                var cancelledAt: UInt64?
                for (index, chunk) in (chunks ?? [fixture.body[...]]).enumerated() {
                    if let cancelAfterChunk, index == cancelAfterChunk {
                        call.cancel()
                        sink.cancelAfterWrites = sink.writes.count
                        cancelledAt = monotonicNanoseconds()
                    }
                    let started = monotonicNanoseconds()
                    if let failure = chunk.withUnsafeBytes({ transformation.data($0, output: sink) }) {
                        run.failure = failure
                        run.failedHook = "data"
                        if cancelledAt != nil { run.secondsAfterCancel = Double(monotonicNanoseconds() - started) / 1e9 }
                        break
                    }
                }
                if run.failure == nil {
                    let started = monotonicNanoseconds()
                    run.failure = transformation.end(output: sink)
                    if run.failure != nil {
                        run.failedHook = "end"
                        if cancelledAt != nil { run.secondsAfterCancel = Double(monotonicNanoseconds() - started) / 1e9 }
                    }
                }
                withExtendedLifetime(transformation) {}
            }
            run.writes = sink.writes
            run.cancelledWrites = sink.refusedAsCancelled
            run.refusedOutput = Self.isRefusal(run.failure)
            return run
        }
    }

    /// The plugin's main path for one canonical request: `generate`, or `prepare` then the
    /// transformer over `fixture`.
    func answer(_ request: [UInt8], operation: UInt32 = SY_OP_CHAT_COMPLETIONS, stream: Bool, fixture: UpstreamFixture?, id: String = "validator") -> Run {
        if plugin.answersLocally { return generate(request, operation: operation, stream: stream, id: id) }
        if case .failure(let failure) = prepare(request, operation: operation, stream: stream, id: id) {
            return Run(failure: failure, failedHook: "prepare")
        }
        guard let fixture else { return Run() }
        return transform(request, operation: operation, stream: stream, fixture: fixture, id: id)
    }
}

extension ValidationContext {
    /// The provider of this plugin, or the skip that says it is none.
    func requireProvider() -> Result<ProviderHarness, ValidationSkip> {
        if let provider { return provider }
        let made = requireInterface(SY_IFACE_PROVIDER, kind: "provider").flatMap { instance, table in
            Result { () throws(ValidationSkip) in try ProviderHarness(instance: instance, table: table) }
        }
        provider = made
        return made
    }

    /// The first upstream fixture of `purpose` and `stream` that gives content through the
    /// plugin's transformer (its own `--fixture` ones first); nil when none does.
    func contentFixture(_ provider: ProviderHarness, purpose: UpstreamFixture.Purpose, stream: Bool) -> UpstreamFixture? {
        let request = Array((purpose == .embeddings ? RequestFixtures.embeddings : stream ? RequestFixtures.chatStream : RequestFixtures.chat).utf8)
        let operation = purpose == .embeddings ? SY_OP_EMBEDDINGS : SY_OP_CHAT_COMPLETIONS
        for fixture in fixtures where fixture.purpose == purpose && fixture.stream == stream {
            let run = provider.transform(request, operation: operation, stream: stream, fixture: fixture)
            if run.failure == nil, run.summary.hasContent { return fixture }
        }
        return nil
    }
}
