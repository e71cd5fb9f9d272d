import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardUpstream

/// Plugin hooks that take long: the slow path of a watched hook on the loop, and the hooks a
/// manifest declares blocking, run on the worker pool.
///
/// Deadlines: a hook stands where the upstream would, so it gets the provider's upstream
/// timeouts rather than a knob of its own. `prepare`, `generate` and the transformer's `begin`
/// must produce within the first-byte timeout (for `generate` on a worker: its first write;
/// then at most the idle timeout between writes, and the total timeout overall when one is
/// set); the transformer's `data` and `end` within the idle timeout.
extension HookKind {
    /// The timeout that bounds one call of this hook (0 = none), and its name for messages.
    func deadline(_ limits: UpstreamLimits) -> (nanoseconds: UInt64, name: String) {
        switch self {
        case .prepare, .generate, .begin: (limits.firstByteTimeout, "first-byte")
        case .data, .end: (limits.idleTimeout, "idle")
        case .inspect: (0, "guardrail")  // a guardrail's own deadline applies (GuardrailPass)
        case .observe: (0, "enricher")  // an enricher's own deadline applies (EnricherTap)
        }
    }
}

extension PlanExecutor {
    // MARK: hooks on the loop

    /// A provider hook starts on the loop: its deadline, as `call_deadline_ns` reports it (the
    /// one `slowLoopHook` applies). One clock read and one store; none when the timeout is off.
    @inline(__always)
    func loopHookStarts(_ hook: HookKind) {
        let timeout = hook == .data || hook == .end ? limits.idleTimeout : limits.firstByteTimeout
        pluginCall.loopHookStarts(deadline: timeout == 0 ? 0 : monotonicNanoseconds() &+ timeout)
    }

    /// A hook that ran on the loop has returned after the watchdog flagged it: logs how long it
    /// ran, and returns the timeout failure when that was past its deadline (the request then
    /// gets a 504 in its client's format, not a late 200; a stream already started gets an
    /// error event).
    @inline(never)
    func slowLoopHook(_ hook: HookKind) -> PluginFailure? {
        let elapsed = context.hookWatch.elapsed(now: monotonicNanoseconds())
        let (deadline, name) = hook.deadline(limits)
        let overran = deadline > 0 && elapsed > deadline
        services.log.warn("slow plugin hook returned", requestID: plan.requestID, fields: [
            ("plugin", provider?.name ?? "?"), ("hook", hook.name), ("elapsed_ms", String(elapsed / 1_000_000)),
            ("outcome", overran ? "timeout" : "continued"),
        ])
        guard overran else { return nil }
        return PluginFailure(
            status: SY_E_TIMEOUT, httpStatus: 504, retryable: true,
            message: "timed out: the \(hook.name) hook ran for at least \(UpstreamLimits.text(elapsed)), past the \(name) timeout of \(UpstreamLimits.text(deadline))")
    }

    // MARK: hooks on a worker

    /// Runs `work` on the worker pool with a fresh channel: its writes and its `finish` come back
    /// to this loop. Returns the failure to answer with when the pool is full.
    func submitToWorker(_ hook: HookKind, _ work: @escaping (WorkerChannel) -> Void) -> PluginFailure? {
        guard let workers = services.workers else {
            return PluginFailure(status: SY_E_INTERNAL, message: "no worker pool for blocking plugin hooks")
        }
        let channel = WorkerChannel(loop: writer.loop) { [weak self] in self?.drainWorkerOutput() }
        let job = UncheckedSendable(work)
        let pluginCall = pluginCall
        // The deadlines first: the job may run (and ask call_deadline_ns) as soon as it is queued.
        let now = setHookDeadlines(hook)
        let accepted = workers.submit {
            // A request that ended while its job waited costs the plugin nothing.
            guard !channel.isClosed else { return }
            pluginCall.onWorker { job.value(channel) }
        }
        guard accepted else {
            channel.close()
            retryAfter = retryAfter ?? "1"
            services.log.warn("plugin worker pool full, request refused", requestID: plan.requestID, fields: [
                ("plugin", provider?.name ?? "?"), ("hook", hook.name),
                ("workers", String(workers.threadCount)), ("queue", String(workers.queueCapacity)),
            ])
            return PluginFailure(
                status: SY_E_INTERNAL, httpStatus: 503, retryable: true,
                message: "The gateway's plugin workers are all busy (server.plugin_workers: \(workers.threadCount), plugin_worker_queue: \(workers.queueCapacity)); retry the request.")
        }
        self.channel = channel
        runningHook = hook
        generateWrote = false
        scheduleHookTimer(now: now)
        syncUpstreamPause()
        return nil
    }

    /// Forgets the running job, if any: its channel is closed (its writes return
    /// SY_E_CANCELLED, its output and result are discarded), its deadline timer cancelled. The
    /// worker thread is released when the hook returns. Idempotent.
    func retireWorkerJob() {
        guard let channel else { return }
        channel.close()
        self.channel = nil
        unacknowledged = 0
        if let hookTimer { writer.loop.cancel(hookTimer) }
        hookTimer = nil
    }

    /// True when `channel` belongs to the running job: then it is retired and its result is
    /// to be used.
    private func isCurrent(_ channel: WorkerChannel) -> Bool {
        guard channel === self.channel, !finished, !cancelled else { return false }
        retireWorkerJob()
        return true
    }

    func runGenerateOnWorker(_ body: [UInt8]) {
        guard let provider else { return }
        let call = call
        let failure = submitToWorker(.generate) { [self] channel in
            let failure = body.withUnsafeBytes { provider.generate(call, body: $0, output: channel) }
            channel.finish { [self] in
                guard isCurrent(channel) else { return }
                conclude(pendingFailure ?? failure)
            }
        }
        if let failure { conclude(failure) }
    }

    func runPrepareOnWorker(_ body: [UInt8]) {
        guard let provider else { return }
        let call = call
        let failure = submitToWorker(.prepare) { [self] channel in
            let prepared = body.withUnsafeBytes { provider.prepare(call, body: $0) }
            channel.finish { [self] in
                guard isCurrent(channel) else { return }
                startUpstream(prepared)
            }
        }
        if let failure { conclude(failure) }
    }

    func beginOnWorker(status: Int, headers: [(name: String, value: String)]) {
        guard let provider else { return }
        let call = call
        let failure = submitToWorker(.begin) { [self] channel in
            let began = provider.beginResponse(call, status: status, headers: headers)
            channel.finish { [self] in
                guard isCurrent(channel) else { return }
                switch began {
                case .success(let started): transformation = started
                case .failure(let failure): abortTransfer(failure)
                }
                pumpResponseHooks()
            }
        }
        if let failure { abortTransfer(failure) }
    }

    /// An upstream chunk for a transformer that runs on workers: queued in order behind the
    /// running hook (the upstream is paused meanwhile, so the queue stays short).
    func dataOnWorker(_ chunk: UnsafeRawBufferPointer) {
        guard pendingFailure == nil, !cancelled, !finished else { return }
        guard bodyBound.admit(chunk) else { return abortTransfer(bodyBound.failure) }
        deferredChunks.append(Array(chunk))
        pumpResponseHooks()
    }

    /// The upstream exchange ended, for a transformer that runs on workers: `end` runs after every
    /// chunk before it has been through `data`.
    func responseCompleteOnWorker(_ result: UpstreamResult) {
        if cancelled { transformation = nil; return }
        if channel != nil || !deferredChunks.isEmpty {
            deferredCompletion = result
            return
        }
        if let pendingFailure {
            transformation = nil
            return conclude(pendingFailure)
        }
        switch result {
        case .failure(let error):
            transformation = nil
            conclude(transportFailure(error))
        case .success:
            guard let transformation else {
                return conclude(PluginFailure(status: SY_E_UPSTREAM, httpStatus: 502, retryable: true, message: "upstream sent no response"))
            }
            // The job holds the transformer from here; state_free runs when it lets go.
            self.transformation = nil
            let state = UncheckedSendable(transformation)
            let failure = submitToWorker(.end) { [self] channel in
                let failure = state.value.end(output: channel)
                channel.finish { [self] in
                    guard isCurrent(channel) else { return }
                    conclude(failure)
                }
            }
            if let failure { conclude(failure) }
        }
    }

    /// Starts the next transformer hook when none runs: the oldest queued chunk, else the end of
    /// the exchange; with nothing left, lets the upstream send again. One hook at a time, so the
    /// calls for one state never overlap and keep the upstream's order.
    func pumpResponseHooks() {
        guard channel == nil, !finished, !cancelled else { return }
        if pendingFailure != nil { deferredChunks.removeAll() }
        if !deferredChunks.isEmpty, let transformation {
            let chunk = deferredChunks.removeFirst()
            let state = UncheckedSendable(transformation)
            let failure = submitToWorker(.data) { [self] channel in
                let failure = chunk.withUnsafeBytes { state.value.data($0, output: channel) }
                channel.finish { [self] in
                    guard isCurrent(channel) else { return }
                    if let failure { abortTransfer(failure) }
                    pumpResponseHooks()
                }
            }
            if let failure {
                abortTransfer(failure)
                pumpResponseHooks()
            }
            return
        }
        if let result = deferredCompletion {
            deferredCompletion = nil
            return responseCompleteOnWorker(result)
        }
        syncUpstreamPause()
    }

    // MARK: worker output

    /// Renders what the running job wrote (on this loop, in order, as if written here), then
    /// runs its result. The bytes are acknowledged to the worker once rendered, or once the
    /// client has drained them when it is behind.
    func drainWorkerOutput() {
        guard let channel else { return }
        var rendered = 0
        for event in channel.take() {
            guard channel === self.channel else { break }  // the job ended (result, failure) mid-batch
            switch event {
            case .write(let kind, let bytes):
                rendered += bytes.count
                if runningHook == .generate { generateMadeProgress() }
                let status = bytes.withUnsafeBytes { pluginWrote(kind: kind, bytes: $0) }
                if status != SY_OK { workerOutputRefused() }
            case .finish(let result):
                result()
            }
        }
        guard rendered > 0, channel === self.channel else { return }
        if writer.isBackpressured && !writer.isClosed {
            unacknowledged += rendered
            writer.onDrained = { [weak self] in self?.clientDrained() }
        } else {
            channel.acknowledge(rendered)
        }
    }

    /// The loop could not use a write (the renderer refused it, or the request is over): the
    /// hook is cut loose and the request ends without waiting for it.
    private func workerOutputRefused() {
        let hook = runningHook
        retireWorkerJob()
        guard !finished, !cancelled else { return }
        let failure = pendingFailure ?? PluginFailure(status: SY_E_INTERNAL, message: "plugin output refused")
        switch hook {
        case .prepare, .generate, .end, .inspect, .observe: conclude(failure)  // (inspect, observe never run on a worker)
        case .begin, .data:
            abortTransfer(failure)
            pumpResponseHooks()
        }
    }

    // MARK: worker deadlines

    /// The deadlines of a hook about to be queued for a worker (the timer is armed once the pool
    /// took it), published for its `call_deadline_ns`. Returns the instant they count from.
    func setHookDeadlines(_ hook: HookKind) -> UInt64 {
        let now = monotonicNanoseconds()
        let first = hook.deadline(limits).nanoseconds
        hookDeadline = first > 0 ? now &+ first : 0
        hookTotalDeadline = hook == .generate && limits.totalTimeout > 0 ? now &+ limits.totalTimeout : 0
        publishWorkerDeadline()
        return now
    }

    /// What `call_deadline_ns` answers the worker's hook: the earlier of its deadlines.
    private func publishWorkerDeadline() {
        let deadline = hookDeadline == 0 ? hookTotalDeadline
            : hookTotalDeadline == 0 ? hookDeadline : min(hookDeadline, hookTotalDeadline)
        pluginCall.setWorkerHookDeadline(deadline)
    }

    /// `generate` wrote: from now on the idle timeout bounds the silence until its next write.
    /// (No timer is moved here: the timer finds the later deadline when it fires and re-arms.)
    private func generateMadeProgress() {
        generateWrote = true
        hookDeadline = limits.idleTimeout > 0 ? monotonicNanoseconds() &+ limits.idleTimeout : 0
        publishWorkerDeadline()
    }

    func scheduleHookTimer(now: UInt64) {
        if let hookTimer { writer.loop.cancel(hookTimer) }
        hookTimer = nil
        let deadlines = [hookDeadline, hookTotalDeadline].filter { $0 > 0 }
        guard let next = deadlines.min() else { return }
        hookTimer = writer.loop.schedule(after: next > now ? next - now : 0) { [weak self] in self?.hookTimerFired() }
    }

    private func hookTimerFired() {
        hookTimer = nil
        guard channel != nil, !finished, !cancelled else { return }
        let now = monotonicNanoseconds()
        let hook = runningHook
        let message: String
        if hookTotalDeadline > 0 && now >= hookTotalDeadline {
            message = "timed out: the \(hook.name) hook did not finish within the total timeout of \(UpstreamLimits.text(limits.totalTimeout))"
        } else if hookDeadline > 0 && now >= hookDeadline {
            let (timeout, name) = hook.deadline(limits)
            if hook != .generate {
                message = "timed out: the \(hook.name) hook did not return within the \(name) timeout of \(UpstreamLimits.text(timeout))"
            } else if generateWrote {
                message = "timed out: the generate hook wrote nothing for \(UpstreamLimits.text(limits.idleTimeout)) (the idle timeout)"
            } else {
                message = "timed out: the generate hook wrote nothing within the first-byte timeout of \(UpstreamLimits.text(timeout))"
            }
        } else {
            return scheduleHookTimer(now: now)
        }
        services.log.warn("plugin hook on a worker passed its deadline", requestID: plan.requestID, fields: [
            ("plugin", provider?.name ?? "?"), ("hook", hook.name), ("error", message),
        ])
        // The 504 goes out now; the worker is released when the hook returns, and what it
        // writes or returns meanwhile is discarded (its writes return SY_E_CANCELLED).
        retireWorkerJob()
        let failure = PluginFailure(status: SY_E_TIMEOUT, httpStatus: 504, retryable: true, message: message)
        switch hook {
        case .prepare, .generate, .end, .inspect, .observe: conclude(failure)  // (inspect, observe never run on a worker)
        case .begin, .data:
            deferredChunks.removeAll()
            abortTransfer(failure)
            pumpResponseHooks()
        }
    }
}
