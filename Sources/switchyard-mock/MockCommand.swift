import CLinux
import SwitchyardHTTP
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// Command line: `switchyard-mock [--host H] [--port P] [--loops N] [--delay-ms N] [--chunk-delay-ms N]`.
enum MockCommand {
    static func run(_ arguments: [String]) -> Int32 {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 8081)
        configuration.loops = 1
        var defaults = MockKnobs()
        var index = 0
        while index < arguments.count {
            let option = arguments[index]
            guard index + 1 < arguments.count else { return usage("\(option) needs a value") }
            let value = arguments[index + 1]
            switch option {
            case "--host": configuration.host = value
            case "--port": configuration.port = Int(value) ?? -1
            case "--loops": configuration.loops = max(1, Int(value) ?? 1)
            case "--delay-ms": defaults.delayMilliseconds = Int(value) ?? 0
            case "--chunk-delay-ms": defaults.chunkDelayMilliseconds = Int(value) ?? 0
            default: return usage("unknown option \(option)")
            }
            index += 2
        }
        guard (0...65535).contains(configuration.port) else { return usage("--port must be 0...65535") }
        Signals.blockTermination()
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: configuration, responder: MockResponder(defaults: defaults))
            try server.start()
        } catch {
            fputs("switchyard-mock: \(error)\n", sy_stderr())
            return 1
        }
        print("listening on \(configuration.host):\(server.port)")
        fflush(sy_stdout())
        _ = Signals.waitForTermination()
        server.shutdown(grace: 2_000_000_000)
        return 0
    }

    static func usage(_ message: String) -> Int32 {
        fputs("switchyard-mock: \(message)\nusage: switchyard-mock [--host H] [--port P] [--loops N] [--delay-ms N] [--chunk-delay-ms N]\n", sy_stderr())
        return 2
    }
}
