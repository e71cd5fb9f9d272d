import CLinux
import SwitchyardJSON
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

enum LoadCommand {
    static func run(_ arguments: [String]) -> Int32 {
        var url = "", bodyPath = "", headers: [String] = []
        var sequential = 0, warmup = 0, connections = 1
        var rate = 0.0, duration = 5.0
        var index = 0
        func value() -> String {
            index += 1
            guard index < arguments.count else { fail("\(arguments[index - 1]) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--url": url = value()
            case "--body": bodyPath = value()
            case "--header": headers.append(value())
            case "--sequential": sequential = Int(value()) ?? 0
            case "--warmup": warmup = Int(value()) ?? 0
            case "--connections": connections = Int(value()) ?? 1
            case "--rate": rate = Double(value()) ?? 0
            case "--duration": duration = Double(value()) ?? 5
            default: fail("unknown option \(arguments[index])")
            }
            index += 1
        }
        guard url.hasPrefix("http://"), let target = parse(url) else { fail("--url must be http://HOST:PORT/path") }
        guard sequential > 0 || rate > 0 else { fail("give --sequential N or --rate R") }
        let body = bodyPath.isEmpty ? [] : readFile(bodyPath)
        var head = "\(body.isEmpty ? "GET" : "POST") \(target.path) HTTP/1.1\r\nHost: \(target.host):\(target.port)\r\n"
        if !body.isEmpty { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        for header in headers { head += header + "\r\n" }
        head += "\r\n"

        _ = sy_set_timer_slack(1)  // wake at the intended send time, not 50 µs later
        let loop: EventLoop
        do { loop = try EventLoop() } catch { fail("\(error)") }
        let plan = LoadDriver.Plan(
            host: target.host, port: target.port, request: Array(head.utf8) + body,
            connections: sequential > 0 ? 1 : connections, rate: sequential > 0 ? 0 : rate, count: sequential,
            duration: UInt64(duration * 1e9), warmup: warmup)
        let driver = LoadDriver(plan: plan, loop: loop)
        do { try driver.start() } catch { fail("cannot connect to \(target.host):\(target.port): \(error)") }
        loop.run()
        print(report(driver).jsonText)
        return 0
    }

    static func report(_ driver: LoadDriver) -> JSONValue {
        func percentiles(_ histogram: Histogram) -> JSONValue {
            func us(_ ns: UInt64) -> JSONValue { .number(String(Double(ns) / 1000)) }
            return [
                "count": .number(Int(histogram.total)), "mean_us": .number(String(histogram.mean / 1000)),
                "p50_us": us(histogram.value(at: 50)), "p90_us": us(histogram.value(at: 90)),
                "p99_us": us(histogram.value(at: 99)), "p99_9_us": us(histogram.value(at: 99.9)),
                "max_us": us(histogram.maximum),
            ]
        }
        let seconds = Double(driver.elapsed) / 1e9
        return [
            "completed": .number(driver.completed), "errors": .number(driver.errors),
            "non_200": .number(driver.badStatus), "elapsed_s": .number(String(seconds)),
            "achieved_rps": .number(String(seconds > 0 ? Double(driver.completed) / seconds : 0)),
            "first_error": driver.firstError.map { .string($0) } ?? .null,
            "latency": percentiles(driver.latency), "first_chunk": percentiles(driver.firstChunk),
            "chunk_gap": percentiles(driver.chunkGap),
        ]
    }

    static func parse(_ url: String) -> (host: String, port: UInt16, path: String)? {
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        let parts = authority.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { return nil }
        return (String(parts[0]), port, path.isEmpty ? "/" : String(path))
    }

    static func readFile(_ path: String) -> [UInt8] {
        guard let file = fopen(path, "rb") else { fail("cannot read \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return bytes
    }

    static func fail(_ message: String) -> Never {
        fputs("switchyard-load: \(message)\n", sy_stderr())
        exit(2)
    }
}
