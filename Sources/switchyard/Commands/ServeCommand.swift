import CLinux
import SwitchyardConfig
import SwitchyardGateway
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard serve [--config PATH]`: runs until SIGTERM or SIGINT, then drains (for up to
/// `server.shutdown_grace`) and exits 0. A second SIGTERM or SIGINT during the drain exits at
/// once with 128 + the signal number (143, 130). SIGHUP reloads the config from the same source
/// (the file, or the embedded default) on a thread of its own; a failed reload changes nothing.
enum ServeCommand {
    static func run(_ arguments: [String]) -> Int32 {
        var configPath: String?
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--config", "-c":
                guard index + 1 < arguments.count else { printError("serve: --config needs a path"); return 2 }
                configPath = arguments[index + 1]
                index += 2
            default:
                printError("serve: unknown option \"\(arguments[index])\"")
                return 2
            }
        }
        guard let config = loadConfig(configPath) else { return 1 }

        // Block SIGTERM, SIGINT and SIGHUP before any thread starts, so only sigwait sees them.
        Signals.blockTermination()
        let gateway: Gateway
        do {
            gateway = try Gateway(config: config, source: configSource(configPath))
            try gateway.start()
        } catch {
            printError("switchyard: \(error)")
            return 1
        }
        // Before the main line, which tests wait for: the admin listener's address (port 0).
        if let admin = gateway.adminAddresses.first { print("admin listening on \(admin)") }
        // Tests and scripts read the bound port from this line (port 0 picks a free one).
        print("listening on \(gateway.addresses.first ?? "\(config.server.host):\(gateway.port)")")
        fflush(sy_stdout())
        let log = gateway.log
        // Reloads never run on this thread: it must stay free to take SIGTERM.
        let hangup: @Sendable () -> Void = { gateway.reloadInBackground(trigger: "SIGHUP") }
        let signal = Signals.waitForTermination(onHangup: hangup)
        let grace = gateway.config.server.shutdownGrace
        log.info("draining in-flight requests", fields: [("signal", Signals.name(signal)), ("grace_ms", String(milliseconds(grace)))])
        // The access log writes through during the drain: exiting from here loses no line.
        Signals.watchTermination(onHangup: hangup) { second in
            log.warn("second signal during the drain, exiting at once", fields: [("signal", Signals.name(second))])
            _exit(Signals.exitStatus(for: second))
        }
        gateway.shutdown(grace: grace)
        return 0
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The config at `path`, or the embedded default; prints the error and returns nil.
    static func loadConfig(_ path: String?) -> GatewayConfig? {
        do { return try configSource(path).read() } catch {
            printError("switchyard: \(error)")
            return nil
        }
    }

    /// Where `serve` reads its config, at start and at each reload.
    static func configSource(_ path: String?) -> ConfigSource {
        guard let path else {
            return ConfigSource(name: EmbeddedConfig.sourceName) { () throws(ConfigError) in
                try ConfigLoader.parse(yaml: EmbeddedConfig.bytes, sourceName: EmbeddedConfig.sourceName, environment: .switchyard)
            }
        }
        return ConfigSource(name: path) { () throws(ConfigError) in try ConfigLoader.load(path: path, environment: .switchyard) }
    }
}
