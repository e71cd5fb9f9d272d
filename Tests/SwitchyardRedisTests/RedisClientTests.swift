import Glibc
import Synchronization
import Testing
import RedisTestSupport
import SwitchyardPosix
import SwitchyardRedis

/// The client against a real redis-server: commands and replies, binary-safe arguments,
/// pipelining, error replies, timeouts, outages and recovery, AUTH and SELECT.
@Suite(.serialized) struct RedisClientTests {
    typealias Answer = Result<RedisReply, RedisFailure>

    /// Log lines the client wrote, for the once-per-transition checks.
    final class LogLines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    static func client(_ server: RedisServerProcess, password: String? = nil, database: Int = 0, timeoutMs: UInt64 = 250, log: LogLines = LogLines()) -> RedisClient {
        RedisClient(
            settings: RedisSettings(endpoint: .tcp(host: "127.0.0.1", port: server.port), password: password, database: database, timeoutNanoseconds: timeoutMs * 1_000_000,
                                    reconnectCapNanoseconds: 500_000_000),
            log: { up, message in log.append((up ? "UP " : "DOWN ") + message) })
    }

    static func run(_ loop: TestLoop, _ client: RedisClient, _ arguments: [String]) -> Answer? {
        loop.wait { eventLoop, done in client.command(arguments, on: eventLoop) { done($0) } }
    }

    /// A fresh redis-server, a running loop and a client attached to it, up.
    static func connected(serverPassword: String? = nil, password: String? = nil, database: Int = 0, timeoutMs: UInt64 = 250, log: LogLines = LogLines()) throws -> (RedisServerProcess, TestLoop, RedisClient) {
        let server = try RedisServerProcess(password: serverPassword)
        let loop = try TestLoop()
        let client = Self.client(server, password: password, database: database, timeoutMs: timeoutMs, log: log)
        #expect(attachAndWaitUp(loop, client))
        return (server, loop, client)
    }

    static func attachAndWaitUp(_ loop: TestLoop, _ client: RedisClient) -> Bool {
        client.attach(loop.loop)
        return TestLoop.eventually { client.isUp(on: loop.loop) }
    }

    @Test func commandsAndReplies() throws {
        let (server, loop, client) = try Self.connected()
        defer { client.close(); loop.stop(); withExtendedLifetime(server) {} }
        #expect(Self.run(loop, client, ["SET", "a", "1"]) == .success(.status("OK")))
        #expect(Self.run(loop, client, ["INCRBY", "a", "41"]) == .success(.integer(42)))
        #expect(Self.run(loop, client, ["GET", "a"]) == .success(.bulk(Array("42".utf8))))
        #expect(Self.run(loop, client, ["GET", "missing"]) == .success(.null))
        #expect(Self.run(loop, client, ["RPUSH", "l", "x", "y"]) == .success(.integer(2)))
        #expect(Self.run(loop, client, ["LRANGE", "l", "0", "-1"]) == .success(.array([.bulk(Array("x".utf8)), .bulk(Array("y".utf8))])))
        guard case .success(.error(let message)) = Self.run(loop, client, ["INCR", "l"]) else {
            Issue.record("INCR of a list should answer an error reply")
            return
        }
        #expect(message.hasPrefix("WRONGTYPE"))
        let got = loop.wait { eventLoop, done in client.get("a", on: eventLoop) { done($0) } }
        #expect(got == .success(Array("42".utf8)))
        #expect(client.status.isUp)
    }

    @Test func binarySafeArguments() throws {
        let (server, loop, client) = try Self.connected()
        defer { client.close(); loop.stop(); withExtendedLifetime(server) {} }
        let value: [UInt8] = [0, 1, 0x0D, 0x0A, 0xFF, 0, 0x24, 0x2A] + Array(repeating: 0x41, count: 100_000)
        let key: [UInt8] = [0x6B, 0, 0x0A]
        let set = loop.wait { eventLoop, done in client.command([Array("SET".utf8), key, value], on: eventLoop) { done($0) } }
        #expect(set == .success(.status("OK")))
        let get = loop.wait { eventLoop, done in client.command([Array("GET".utf8), key], on: eventLoop) { done($0) } }
        #expect(get == .success(.bulk(value)))
        let empty = loop.wait { eventLoop, done in client.command([Array("SET".utf8), Array("e".utf8), []], on: eventLoop) { done($0) } }
        #expect(empty == .success(.status("OK")))
        #expect(Self.run(loop, client, ["STRLEN", "e"]) == .success(.integer(0)))
    }

    @Test func pipelinedCommandsAnswerInOrder() throws {
        let (server, loop, client) = try Self.connected()
        defer { client.close(); loop.stop(); withExtendedLifetime(server) {} }
        let count = 2000
        let replies = loop.wait { (eventLoop, done: @escaping ([Int64]) -> Void) in
            var seen: [Int64] = []
            for _ in 0..<count {
                client.command(["INCR", "n"], on: eventLoop) { result in
                    if case .success(.integer(let value)) = result { seen.append(value) } else { seen.append(-1) }
                    if seen.count == count { done(seen) }
                }
            }
        }
        #expect(replies == (1...Int64(count)).map { $0 })
    }

    @Test func evaluateLoadsTheScriptAndSurvivesAFlush() throws {
        let (server, loop, client) = try Self.connected()
        defer { client.close(); loop.stop(); withExtendedLifetime(server) {} }
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        let first = loop.wait { eventLoop, done in client.evaluate(script, keys: ["s"], arguments: ["5"], on: eventLoop) { done($0) } }
        #expect(first == .success(.integer(5)))
        #expect(Self.run(loop, client, ["SCRIPT", "FLUSH"]) == .success(.status("OK")))
        let second = loop.wait { eventLoop, done in client.evaluate(script, keys: ["s"], arguments: ["2"], on: eventLoop) { done($0) } }
        #expect(second == .success(.integer(7)))
        let failing = loop.wait { eventLoop, done in client.evaluate(RedisScript("return redis.error_reply('nope')"), keys: [], arguments: [], on: eventLoop) { done($0) } }
        guard case .success(.error(let message)) = failing else {
            Issue.record("a script's error must come back as an error reply: \(String(describing: failing))")
            return
        }
        #expect(message.hasSuffix("nope"))
    }

    @Test func aSlowCommandTimesOutAndTheConnectionComesBack() throws {
        let (server, loop, client) = try Self.connected(timeoutMs: 100)
        defer { client.close(); loop.stop(); withExtendedLifetime(server) {} }
        let started = monotonicNanoseconds()
        // A stopped server (SIGSTOP) keeps its socket and answers nothing: the client gives up
        // at 100 ms, and the GET pipelined behind fails with the dropped connection.
        server.pause()
        defer { server.resume() }
        let both = loop.wait { (eventLoop, done: @escaping ([Answer]) -> Void) in
            var answers: [Answer] = []
            for command in [["SET", "x", "1"], ["GET", "x"]] {
                client.command(command, on: eventLoop) { answers.append($0); if answers.count == 2 { done(answers) } }
            }
        }
        let elapsed = monotonicNanoseconds() - started
        #expect(both?[0] == .failure(.timeout(milliseconds: 100)))
        if case .failure(.connectionLost) = both?[1] {} else { Issue.record("the pipelined command should fail with the connection: \(String(describing: both?[1]))") }
        #expect(elapsed < 600_000_000, "the timeout must fire at 100 ms, not when the server answers")
        #expect(client.status.timedOutCommands == 1)
        // Right after, the connection is down: a command fails at once.
        let immediate = Self.run(loop, client, ["PING"])
        if case .failure(.unavailable) = immediate {} else if immediate != .success(.status("PONG")) { Issue.record("unexpected \(String(describing: immediate))") }
        // And it reconnects once the server runs again.
        server.resume()
        #expect(TestLoop.eventually { client.isUp(on: loop.loop) })
        #expect(Self.run(loop, client, ["PING"]) == .success(.status("PONG")))
    }

    @Test func killedServerFailsFastAndTheConnectionComesBackAfterRestart() throws {
        let log = LogLines()
        let (server, loop, client) = try Self.connected(log: log)
        defer { client.close(); loop.stop(); withExtendedLifetime(server) {} }
        #expect(Self.run(loop, client, ["SET", "k", "v"]) == .success(.status("OK")))
        server.stop()
        #expect(TestLoop.eventually { !client.isUp(on: loop.loop) })
        // Down: commands fail at once, nothing queues.
        let started = monotonicNanoseconds()
        for _ in 0..<100 {
            guard case .failure(.unavailable) = Self.run(loop, client, ["GET", "k"]) else {
                Issue.record("a command while down must fail as unavailable")
                break
            }
        }
        #expect(monotonicNanoseconds() - started < 200_000_000, "100 commands while down should fail at once")
        #expect(client.status.isUp == false)
        try server.start()
        #expect(TestLoop.eventually { client.isUp(on: loop.loop) })
        #expect(Self.run(loop, client, ["PING"]) == .success(.status("PONG")))
        let lines = log.all
        #expect(lines.filter { $0.hasPrefix("DOWN") }.count == 1, "down logged once per outage: \(lines)")
        #expect(lines.filter { $0.hasPrefix("UP") }.count == 2, "up at start and after the outage: \(lines)")
        #expect(client.status.failedCommands >= 100)
    }

    @Test func unreachableAtStartThenComesUp() throws {
        let port = try RedisServerProcess.freeLoopbackPort()
        let loop = try TestLoop()
        defer { loop.stop() }
        let client = RedisClient(settings: RedisSettings(endpoint: .tcp(host: "localhost", port: port), reconnectCapNanoseconds: 200_000_000), log: { _, _ in })
        defer { client.close() }
        client.attach(loop.loop)
        guard case .failure(.unavailable(let reason)) = Self.run(loop, client, ["PING"]) else {
            Issue.record("nothing listens: the command must fail at once")
            return
        }
        #expect(!reason.isEmpty)
        #expect(!client.status.isUp)
        // Redis starts: the backoff's next attempt connects.
        let server = try RedisServerProcess(port: port)
        #expect(TestLoop.eventually { client.isUp(on: loop.loop) })
        #expect(Self.run(loop, client, ["PING"]) == .success(.status("PONG")))
        server.stop()
    }

    @Test func authenticatesAndSelectsTheDatabase() throws {
        let (server, loop, client) = try Self.connected(serverPassword: "s3cret pass", password: "s3cret pass", database: 3)
        defer { client.close(); loop.stop(); withExtendedLifetime(server) {} }
        #expect(Self.run(loop, client, ["SET", "only-in-3", "x"]) == .success(.status("OK")))
        #expect(Self.run(loop, client, ["SELECT", "0"]) == .success(.status("OK")))
        #expect(Self.run(loop, client, ["EXISTS", "only-in-3"]) == .success(.integer(0)))

        // A wrong password: never up, and the reason says AUTH.
        let wrongLoop = try TestLoop()
        defer { wrongLoop.stop() }
        let log = LogLines()
        let wrong = Self.client(server, password: "wrong", log: log)
        defer { wrong.close() }
        wrong.attach(wrongLoop.loop)
        #expect(TestLoop.eventually { !log.all.isEmpty })
        #expect(!wrong.isUp(on: wrongLoop.loop))
        #expect(log.all.first?.contains("AUTH refused") == true, "\(log.all)")
    }

    @Test func unixSocket() throws {
        let server = try RedisServerProcess(unixSocket: true)
        let path = try #require(server.socketPath)
        let loop = try TestLoop()
        defer { loop.stop() }
        let client = RedisClient(settings: RedisSettings(endpoint: .unix(path: path)), log: { _, _ in })
        defer { client.close() }
        #expect(Self.attachAndWaitUp(loop, client))
        #expect(Self.run(loop, client, ["PING"]) == .success(.status("PONG")))
    }

    /// The worst lateness (ms) of a 10 ms timer re-armed on `loop` for `ticks` ticks.
    static func worstTimerLateness(_ loop: TestLoop, ticks: Int) -> UInt64? {
        loop.wait(seconds: 30) { eventLoop, done in
            final class Ticker { var left = 0; var worst: UInt64 = 0 }
            let ticker = Ticker()
            ticker.left = ticks
            func arm() {
                let due = monotonicNanoseconds() + 10_000_000
                eventLoop.schedule(after: 10_000_000) {
                    let now = monotonicNanoseconds()
                    ticker.worst = max(ticker.worst, now > due ? (now - due) / 1_000_000 : 0)
                    ticker.left -= 1
                    if ticker.left == 0 { done(ticker.worst) } else { arm() }
                }
            }
            arm()
        }
    }

    /// hiredis is never handed a host name (its getaddrinfo would block the loop on every
    /// reconnection): a name that does not resolve is resolved again off the loop before each
    /// attempt, commands fail at once meanwhile saying why, and the loop's timers stay on time.
    @Test func aNameThatDoesNotResolveFailsFastOffTheLoop() throws {
        let loop = try TestLoop()
        defer { loop.stop() }
        let client = RedisClient(settings: RedisSettings(endpoint: .tcp(host: "redis.invalid", port: 6379), reconnectCapNanoseconds: 100_000_000),
                                 log: { _, _ in })
        defer { client.close() }
        client.attach(loop.loop)
        for _ in 0..<20 {
            let started = monotonicNanoseconds()
            guard case .failure(.unavailable(let reason)) = Self.run(loop, client, ["PING"]) else {
                Issue.record("a name that does not resolve: the command must fail as unavailable")
                return
            }
            #expect(monotonicNanoseconds() - started < 100_000_000, "failed at once")
            #expect(reason.contains("redis.invalid does not resolve"), "the resolver's reason, not hiredis's: \(reason)")
            usleep(20_000)
        }
        // Reconnection attempts every 100 ms for 1.5 s while a timer ticks every 10 ms.
        let worst = try #require(Self.worstTimerLateness(loop, ticks: 150))
        #expect(worst < 100, "the loop's timers stay on time while reconnecting: worst \(worst) ms late")
        #expect(!client.status.isUp)
    }

    /// A name that resolves (localhost): connects, and reconnects (resolving again off the loop)
    /// after the server restarts.
    @Test func aNameReconnectsAfterARestart() throws {
        let server = try RedisServerProcess()
        let loop = try TestLoop()
        defer { loop.stop() }
        let client = RedisClient(settings: RedisSettings(endpoint: .tcp(host: "localhost", port: server.port), reconnectCapNanoseconds: 200_000_000),
                                 log: { _, _ in })
        defer { client.close() }
        #expect(Self.attachAndWaitUp(loop, client))
        #expect(Self.run(loop, client, ["PING"]) == .success(.status("PONG")))
        server.stop()
        #expect(TestLoop.eventually { !client.isUp(on: loop.loop) })
        try server.start()
        #expect(TestLoop.eventually { client.isUp(on: loop.loop) })
        #expect(Self.run(loop, client, ["PING"]) == .success(.status("PONG")))
    }
}
