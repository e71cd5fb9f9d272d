import CSwitchyardPlugin
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

extension IsolatedRunner {
    /// One frame from the runner, on the supervisor thread. nil, or why the frame breaks the
    /// protocol (the caller kills the runner: it runs untrusted code, and a runner that says
    /// something out of turn cannot be trusted with the calls in flight either).
    func handle(_ frame: IsolationFrame) -> String? {
        switch frame.type {
        case .hello:
            return greeted(frame)
        case .reply, .verdict:
            let found = lock.withLock { () -> (PendingCall?, expected: IsolationMessage?) in
                guard let call = pending[frame.call] else { return (nil, nil) }
                guard call.answer == frame.type else { return (nil, call.answer) }
                pending[frame.call] = nil
                lock.broadcast()  // a slot is free (`send` waits for one)
                return (call, nil)
            }
            if let expected = found.expected { return "a \(frame.type) frame answered a call that takes a \(expected)" }
            guard let call = found.0 else { return nil }  // answered after its deadline killed the runner, or unknown
            do {
                call.complete(.success(try WireReply(decoding: frame.payload)))
            } catch {
                call.complete(.failure(PluginFailure(status: SY_E_INTERNAL, httpStatus: 502, message: "plugin \"\(entry)\" (isolated): malformed reply from its runner")))
            }
        case .log:
            guard let line = try? WireLog(decoding: frame.payload), HostLog.isEnabled(line.level) else { return nil }
            let requestID = line.requestID.isEmpty ? nil : String(decoding: line.requestID, as: UTF8.self)
            let text = String(decoding: line.message.prefix(HostLog.maximumMessageBytes), as: UTF8.self)
            logFromRunner(line.level, requestID: requestID, text)
        case .metric:
            guard let record = try? WireMetric(decoding: frame.payload) else { return nil }
            let (host, id) = lock.withLock { (self.host, metricIDs[record.id]) }
            guard let host, let id else { return nil }
            _ = host.metrics.record(id: id, value: record.value, labels: record.labels.map { String(decoding: $0, as: UTF8.self) })
        case .instanceNew, .prepare, .generate, .begin, .data, .end, .stateFree, .inspect, .callEnd, .cancel:
            return "a \(frame.type) frame, which only the gateway sends"
        }
        return nil
    }

    /// A line the runner's plugin logged or printed, within the entry's `LogBudget`.
    /// The supervisor thread's only.
    func logFromRunner(_ level: UInt32, requestID: String?, _ text: String) {
        switch logBudget.admit(now: monotonicNanoseconds()) {
        case .drop: return
        case .log(let dropped):
            reportSuppressed(dropped)
            HostLog.emit(pluginName: entry, requestID: requestID, level: level, text)
        }
    }

    func reportSuppressed(_ dropped: Int) {
        guard dropped > 0 else { return }
        log(SY_LOG_WARN, "isolated plugin runner: \(dropped) log and output line(s) suppressed (more than \(LogBudget.linesPerSecond) per second)")
    }

    /// The runner's hello. The first one goes to the loader; a restarted runner gets its
    /// instance again, from the stored config, and takes calls once that succeeded.
    private func greeted(_ frame: IsolationFrame) -> String? {
        let hello = try? WireHello(decoding: frame.payload)
        let config = lock.withLock { () -> (stored: [UInt8]?, broken: String?) in
            // One hello per runner, before anything else: a second would create the instance again.
            guard case .starting = phase, !runnerGreeted else { return (nil, "a second hello") }
            runnerGreeted = true
            if self.config == nil {
                self.hello = hello ?? WireHello(status: SY_E_INTERNAL, message: "malformed hello from the runner")
                phase = .greeted
                lock.broadcast()
            }
            return (self.config, nil)
        }
        if let broken = config.broken { return broken }
        guard let config = config.stored else { return nil }
        guard let hello, hello.status == SY_OK else {
            log(SY_LOG_ERROR, "isolated plugin runner could not load the plugin again: \(hello?.message ?? "malformed hello"); killing it")
            killRunner()
            return nil
        }
        // Posted: the supervisor must not wait for a runner that does not read its socket.
        _ = send(.instanceNew, hook: "instance_new", payload: config, whileStarting: true, fromLoop: true) { [self] result in
            switch result {
            case .success(var reply):
                guard reply.status == SY_OK else {
                    log(SY_LOG_ERROR, "isolated plugin's instance_new failed in the restarted runner: \(reply.message); killing it")
                    killRunner()
                    return
                }
                let defines = reply.ops
                reply.ops = []
                let dropped = lock.withLock { () -> [String] in
                    defer { phase = .ready }
                    return mapMetrics(defines, firstLoad: false)
                }
                if !dropped.isEmpty {
                    log(SY_LOG_WARN, "isolated plugin's restarted runner defined metrics it did not define at load, ignored: \(dropped.joined(separator: ", "))")
                }
                log(SY_LOG_INFO, "isolated plugin runner restarted")
            case .failure:
                break  // the runner ended again: the supervisor counts it
            }
        }
        return nil
    }

    /// Runner metric ids of this runner's instance → the ids the host gave the same names when
    /// the entry was first loaded (metrics are defined once per instance, in the host). At the
    /// first load the definitions are the instance's; a restarted runner only maps those again:
    /// one it did not define then is dropped (and logged), never a new series in the host.
    /// Returns the metrics dropped. Call holding `lock`.
    @discardableResult
    func mapMetrics(_ defines: [HostOp], firstLoad: Bool) -> [String] {
        metricIDs = [:]
        guard let host else { return [] }
        var dropped: [String] = []
        for case .metricDefine(let kind, let name, let labels, let id) in defines {
            let key = MetricKey(kind: kind, name: name, labels: labels)
            if firstLoad {
                loadedMetrics.insert(key)
            } else if !loadedMetrics.contains(key) {
                dropped.append(String(decoding: name, as: UTF8.self))
                continue
            }
            // The same name, kind and labels again give the id the host gave them first.
            let labelNames = labels.isEmpty ? [] : String(decoding: labels, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false).map {
                String($0.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
            }
            if let hostID = host.metrics.define(kind: kind, name: String(decoding: name, as: UTF8.self), labelNames: labelNames) {
                metricIDs[id] = hostID
            }
        }
        return dropped
    }

    /// Sends one call; `done` (on the supervisor thread) or the returned pending call gets the
    /// answer (`done` only once the call was sent). Refused at once, with the reason, when the runner does not take calls now.
    /// `generation`: the call belongs to that runner (a transformer state's), refused after a
    /// restart. `whileStarting`: instance_new, sent before the runner is ready. `fromLoop`: the
    /// caller is an event loop, which must not wait for the socket: the frame is posted.
    func send(_ type: IsolationMessage, hook: String, payload: [UInt8], generation expected: UInt64? = nil, whileStarting: Bool = false,
              fromLoop: Bool = false, done: (@Sendable (Result<WireReply, PluginFailure>) -> Void)? = nil) -> Result<PendingCall, PluginFailure> {
        guard payload.count <= IsolationFrame.maximumBytes - IsolationFrame.headerBytes else {
            return .failure(PluginFailure(status: SY_E_INVALID, httpStatus: 413,
                                          message: "plugin \"\(entry)\" (isolated) cannot take \(payload.count) bytes in one call (at most \(IsolationFrame.maximumBytes))"))
        }
        let id = nextCall.add(1, ordering: .relaxed).newValue
        let admitted = lock.withLock { () -> Result<(FrameChannel, PendingCall), PluginFailure> in
            // At most the runner's pool size in flight: a call beyond it would wait in the
            // runner's queue while its deadline ran, and load alone would get a healthy runner
            // killed. A hook thread waits for a slot up to the hook timeout; an event loop's
            // call (inspect) cannot wait and is refused at once.
            let slotDeadline = monotonicNanoseconds() &+ limits.hookTimeoutNanoseconds
            while true {
                if let expected, expected != generation {
                    return .failure(PluginFailure(status: SY_E_UPSTREAM, httpStatus: 502, retryable: true,
                                                  message: "plugin \"\(entry)\" (isolated) was restarted during this call: its state is gone"))
                }
                switch phase {
                case .ready: break
                case .starting, .greeted:
                    if !whileStarting { return .failure(unavailable("is starting")) }
                case .restarting(let why): return .failure(unavailable("is restarting (its runner \(why))"))
                case .disabled(let message): return .failure(PluginFailure(status: SY_E_UPSTREAM, httpStatus: 503, retryable: true, message: message))
                case .finished(let why): return .failure(unavailable("is not running (\(why))"))
                }
                if whileStarting || pending.count < Self.callsInFlight { break }
                if fromLoop || !lock.wait(until: slotDeadline) {
                    return .failure(unavailable("is busy: \(Self.callsInFlight) calls in flight"))
                }
            }
            guard let channel else { return .failure(unavailable("is not running")) }
            // The deadline starts once the call has a slot (a pool thread in the runner).
            let call = PendingCall(id: id, hook: hook, deadline: monotonicNanoseconds() &+ limits.hookTimeoutNanoseconds,
                                   answer: type == .inspect ? .verdict : .reply, done: done)
            pending[id] = call
            return .success((channel, call))
        }
        switch admitted {
        case .failure(let failure):
            return .failure(failure)  // `done` is not called: the caller has the failure now
        case .success(let (channel, call)):
            // A send that fails means the runner is ending: the supervisor fails the call then.
            if fromLoop {
                if !channel.post(type, call: id, payload) {
                    let withdrawn = lock.withLock { () -> Bool in
                        guard pending.removeValue(forKey: id) != nil else { return false }
                        lock.broadcast()
                        return true
                    }
                    // Not withdrawn: the runner ended meanwhile and the supervisor completes it.
                    guard withdrawn else { return .success(call) }
                    return .failure(unavailable("is not keeping up: \(FrameChannel.outboxLimitBytes >> 20) MiB wait to be sent to its runner"))
                }
            } else {
                channel.send(type, call: id, payload)
            }
            return .success(call)
        }
    }

    /// Posts a message that has no answer (state_free, call_end, cancel: possibly from an event
    /// loop, so never waiting for the socket); dropped when no runner runs.
    func notify(_ type: IsolationMessage, payload: [UInt8], generation expected: UInt64? = nil, call id: UInt64 = 0) {
        let channel = lock.withLock { () -> FrameChannel? in
            guard case .ready = phase, expected == nil || expected == generation else { return nil }
            return self.channel
        }
        channel?.post(type, call: id, payload)
    }

    /// Sends a call and waits for its answer (a hook thread; bounded by the hook timeout). With
    /// the request's `call`, the wait looks every 20 ms whether its client has gone, and tells
    /// the runner once (the plugin's `call_cancelled` and sink writes say so from then on).
    func callAndWait(_ type: IsolationMessage, hook: String, payload: [UInt8], generation: UInt64? = nil,
                     call requestCall: sy_call? = nil) -> Result<WireReply, PluginFailure> {
        let pending: PendingCall
        switch send(type, hook: hook, payload: payload, generation: generation) {
        case .failure(let failure): return .failure(failure)
        case .success(let sent): pending = sent
        }
        guard let requestCall else { return pending.wait(late: notAnswered(pending)) }
        var told = false
        while monotonicNanoseconds() < pending.deadline &+ PendingCall.graceNanoseconds {
            if let result = pending.wait(until: min(monotonicNanoseconds() &+ 20_000_000, pending.deadline &+ PendingCall.graceNanoseconds)) { return result }
            if !told, HostServices.table.pointee.call_cancelled(requestCall) != 0 {
                told = true
                notify(.cancel, payload: [], call: pending.id)
            }
        }
        return pending.wait(until: 0) ?? .failure(notAnswered(pending))
    }

    /// A call not answered (nor failed by the supervisor) by its deadline and the grace.
    func notAnswered(_ call: PendingCall) -> PluginFailure {
        PluginFailure(status: SY_E_TIMEOUT, httpStatus: 504, retryable: true,
                      message: "plugin \"\(entry)\" (isolated) did not answer \(call.hook) within \(Self.seconds(limits.hookTimeoutNanoseconds &+ PendingCall.graceNanoseconds)): its supervisor did not end the call")
    }

    private func unavailable(_ state: String) -> PluginFailure {
        PluginFailure(status: SY_E_UPSTREAM, httpStatus: 503, retryable: true, message: "plugin \"\(entry)\" (isolated) \(state)")
    }

    var currentGeneration: UInt64 { lock.withLock { generation } }
}
