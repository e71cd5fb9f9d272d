import CLinux
import SwitchyardConfig
import SwitchyardGateway
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard serve [--config PATH]`: runs until SIGTERM or SIGINT, then drains and exits 0.
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

        // Block termination signals before any thread starts, so only sigwait below sees them.
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
        let signal = Signals.waitForTermination()
        printError("switchyard: signal \(signal), draining in-flight requests")
        gateway.shutdown(grace: UInt64(config.server.shutdownGrace.components.seconds) * 1_000_000_000)
        return 0
    }

    /// The config at `path`, or the embedded default; prints the error and returns nil.
    static func loadConfig(_ path: String?) -> GatewayConfig? {
        do {
            if let path { return try ConfigLoader.load(path: path) }
            EmbeddedConfig.setPluginDirectoryDefault()
            return try ConfigLoader.parse(yaml: EmbeddedConfig.bytes, sourceName: EmbeddedConfig.sourceName)
        } catch {
            printError("switchyard: \(error)")
            return nil
        }
    }
}
