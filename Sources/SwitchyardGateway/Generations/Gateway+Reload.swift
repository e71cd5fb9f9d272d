import SwitchyardConfig
import SwitchyardPosix

extension Gateway {
    /// Reads the config source again, checks that only reloadable settings changed, loads the
    /// plugins and builds the whole generation, and only then installs it on every loop. Any
    /// failure changes nothing: the running generation keeps serving, and the log and the
    /// outcome say why. `waiting`: wait for a reload already running (else refuse it).
    ///
    /// Blocking (plugins' instance_new, file reads): call on a thread of its own, never on an
    /// event loop.
    func reload(trigger: String, waiting: Bool) -> ReloadOutcome {
        let number: Int
        switch reloads.begin(waiting: waiting) {
        case .busy:
            log.warn("config reload refused: another one is running", fields: [("trigger", trigger)])
            return .busy
        case .stopped:
            log.warn("config reload refused: the gateway is shutting down", fields: [("trigger", trigger)])
            return .stopping
        case .go(let next): number = next
        }
        let started = monotonicNanoseconds()
        log.info("config reload", fields: [("trigger", trigger), ("source", source?.name ?? "")])
        let outcome = build(generation: number)
        switch outcome {
        case .reloaded:
            reloads.end(installed: number, error: nil)
            log.info("config reloaded", fields: [
                ("trigger", trigger), ("generation", String(number)),
                ("duration_ms", String((monotonicNanoseconds() - started) / 1_000_000)),
            ])
        case .failed(let error):
            reloads.end(installed: nil, error: error.message)
            log.error("config reload failed; the running config keeps serving", fields: [
                ("trigger", trigger), ("code", error.code ?? ""), ("reason", error.message),
            ])
        }
        return outcome
    }

    /// Starts `reload` on a thread of its own (SIGHUP: the signal thread stays free for SIGTERM),
    /// unless one already waits for the running reload: that one reads the config after this
    /// signal, so it covers it (a burst of signals makes at most one waiting thread).
    public func reloadInBackground(trigger: String) {
        guard reloads.queueWaiter() else {
            log.info("config reload already waiting: this one joins it", fields: [("trigger", trigger)])
            return
        }
        startDetachedThread { [self] in _ = reload(trigger: trigger, waiting: true) }
    }

    private func build(generation number: Int) -> ReloadOutcome {
        guard let source else { return .noSource }
        let config: GatewayConfig
        do { config = try source.read() } catch { return .invalidConfig(error.description) }
        let restartOnly = RestartOnlySettings.changed(from: self.config, to: config)
        guard restartOnly.isEmpty else { return .restartRequired(restartOnly) }
        let generation: GatewayGeneration
        do { generation = try GatewayGeneration(number: number, config: config, process: process) } catch {
            // Its routing table may have added targets to the shared book before it failed: the
            // book keeps only the installed generation's (no phantom breaker in the metrics).
            process.healthBook.retain(only: responder.installed.withLock { $0.routingKeys })
            return .loadFailed(error.description)
        }
        admin.setKey(config.admin.key)
        responder.authentication.configure(required: config.keys.required, masterKey: config.admin.key)
        let late = GenerationSwap.install(generation, on: responder)
        // Targets the new config no longer has lose their breaker and latency state (requests of
        // the old generation still in flight keep theirs until they end).
        process.healthBook.retain(only: generation.routingKeys)
        if late > 0 {
            log.warn("event loops busy for long: they switch to the new config when they get to it", fields: [("loops", String(late))])
        }
        return .reloaded(generation: number)
    }
}
