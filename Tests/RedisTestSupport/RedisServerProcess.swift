import Glibc
import SwitchyardPosix

/// A real redis-server for tests: on a free loopback port, no persistence (`--save ""
/// --appendonly no`), killed (SIGKILL) by `stop()` or when the object goes. `stop()` then
/// `start()` again restarts it on the same port (the outage tests).
/// Threading: the test's thread.
public final class RedisServerProcess: @unchecked Sendable {
    public let port: Int
    public let password: String?
    private var pid: pid_t = 0
    private let logPath: String

    public static let binary = "/usr/bin/redis-server"

    /// Starts it and waits (at most 5 s) until it accepts connections.
    /// Also listening on this unix socket, when asked for (`unixSocket: true`).
    public let socketPath: String?

    /// `port`: a given one (a test that first finds it closed), else a free one.
    public init(password: String? = nil, unixSocket: Bool = false, port: Int? = nil) throws {
        self.port = try port ?? Self.freeLoopbackPort()
        self.password = password
        logPath = "/tmp/switchyard-redis-test-\(getpid())-\(self.port).log"
        socketPath = unixSocket ? "/tmp/switchyard-redis-test-\(getpid())-\(self.port).sock" : nil
        try start()
    }

    deinit {
        stop()
        unlink(logPath)
        if let socketPath { unlink(socketPath) }
    }

    public var address: String { "127.0.0.1:\(port)" }

    public func start() throws {
        guard pid == 0 else { return }
        var argv = [Self.binary, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", logPath]
        if let password { argv += ["--requirepass", password] }
        if let socketPath { argv += ["--unixsocket", socketPath] }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArgs { free(pointer) } }
        var spawned: pid_t = 0
        let rc = posix_spawn(&spawned, Self.binary, nil, nil, &cArgs, environ)
        guard rc == 0 else { throw RedisServerError("posix_spawn \(Self.binary): \(rc) (install it: scripts/install-deps.sh --test)") }
        pid = spawned
        let deadline = monotonicNanoseconds() + 5_000_000_000
        while monotonicNanoseconds() < deadline {
            if Self.accepts(port: port) { return }
            usleep(10_000)
        }
        stop()
        throw RedisServerError("redis-server did not listen on \(port) within 5 s (log: \(logPath))")
    }

    /// SIGKILL, like a crash; waits for the process to be gone.
    public func stop() {
        guard pid != 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }

    /// SIGSTOP/SIGCONT: the server keeps its socket but answers nothing (timeouts).
    public func pause() { if pid != 0 { kill(pid, SIGSTOP) } }
    public func resume() { if pid != 0 { kill(pid, SIGCONT) } }

    /// A loopback port nobody listens on at the moment of the call.
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisServerError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw RedisServerError("bind: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

public struct RedisServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
