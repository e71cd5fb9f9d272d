import CLinux
import SwitchyardHTTP
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// Command line: `switchyard-mock [--host H] [--port P] [--loops N] [--delay-ms N] [--chunk-delay-ms N] [--batch-delay-ms N] [--max-files N]`.
/// Prints `listening on HOST:PORT` (flushed) once bound, so scripts can wait for it and learn the
/// port when `--port 0` let the kernel choose.
enum MockCommand {
    static func run(_ arguments: [String]) -> Int32 {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 8081)
        configuration.loops = EventLoopGroup.availableCores  // one loop per core: it is the benchmark upstream too
        var defaults = MockKnobs()
        var maxFiles = 1000
        var index = 0
        while index < arguments.count {
            let option = arguments[index]
            if option == "--help" || option == "-h" {
                print(usageText)
                return 0
            }
            guard index + 1 < arguments.count else { return usage("\(option) needs a value") }
            let text = arguments[index + 1]
            index += 2
            if option == "--host" {
                configuration.host = text
                continue
            }
            guard ["--port", "--loops", "--delay-ms", "--chunk-delay-ms", "--batch-delay-ms", "--max-files"].contains(option) else { return usage("unknown option \(option)") }
            guard let value = Int(text), value >= 0 else { return usage("\(option) needs a non-negative number, not \(text)") }
            switch option {
            case "--port": configuration.port = value
            case "--loops": configuration.loops = max(1, value)
            case "--delay-ms": defaults.delayMilliseconds = value
            case "--batch-delay-ms": defaults.batchDelayMilliseconds = value
            case "--max-files": maxFiles = max(1, value)
            default: defaults.chunkDelayMilliseconds = value
            }
        }
        guard (0...65535).contains(configuration.port) else { return usage("--port must be 0...65535") }
        Signals.blockTermination()
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: configuration, responder: MockResponder(defaults: defaults, maxFiles: maxFiles))
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

    static let usageText = "usage: switchyard-mock [--host H] [--port P] [--loops N] [--delay-ms N] [--chunk-delay-ms N] [--batch-delay-ms N] [--max-files N]"

    static func usage(_ message: String) -> Int32 {
        fputs("switchyard-mock: \(message)\n\(usageText)\n", sy_stderr())
        return 2
    }
}
