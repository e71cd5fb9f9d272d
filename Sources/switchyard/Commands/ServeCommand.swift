import CLinux
import SwitchyardConfig
import SwitchyardGateway
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard serve [--config PATH]`: runs until SIGTERM or SIGINT, then drains (for up to
/// `server.shutdown_grace`) and exits 0. A second SIGTERM or SIGINT during the drain exits at
/// once with 128 + the signal number (143, 130). SIGHUP is logged and ignored until config
/// reload exists.
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
            gateway = try Gateway(config: config)
            try gateway.start()
        } catch {
            printError("switchyard: \(error)")
            return 1
        }
        // Tests and scripts read the bound port from this line (port 0 picks a free one).
        print("listening on \(gateway.addresses.first ?? "\(config.server.host):\(gateway.port)")")
        fflush(sy_stdout())
        let log = gateway.log
        let hangup: @Sendable () -> Void = {
            log.warn("config reload is not supported yet; SIGHUP ignored, serving continues", fields: [("signal", "SIGHUP")])
        }
        let signal = Signals.waitForTermination(onHangup: hangup)
        let grace = config.server.shutdownGrace
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
        do {
            if let path { return try ConfigLoader.load(path: path, environment: .switchyard) }
            return try ConfigLoader.parse(yaml: EmbeddedConfig.bytes, sourceName: EmbeddedConfig.sourceName, environment: .switchyard)
        } catch {
            printError("switchyard: \(error)")
            return nil
        }
    }
}
