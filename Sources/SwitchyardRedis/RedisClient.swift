import Synchronization
import SwitchyardPosix

/// Redis for the whole process: one connection per event loop, made when the loop is attached,
/// so a command and its reply stay on the loop that sent it (no thread hops, no locks on the
/// connection). Commands on a loop whose connection is down fail at once.
///
/// Threading: `attach` and `close` from any thread; `command`/`evaluate` on the loop they name,
/// and their completion runs on that loop. The map from loop to connection is behind a lock
/// taken once per command (uncontended: attaches happen at start).
public final class RedisClient: Sendable {
    public let settings: RedisSettings
    public let status: RedisStatus
    private let target: RedisSettings.Endpoint
    private let connections = Mutex<[ObjectIdentifier: RedisConnection]>([:])

    /// `log(up, message)`: the process-wide up/down transitions, once each. Resolves a host name
    /// here (call it off the loops, at start).
    public init(settings: RedisSettings, log: @escaping @Sendable (_ up: Bool, _ message: String) -> Void) {
        self.settings = settings
        self.status = RedisStatus(log: log)
        self.target = RedisEndpointResolution.resolve(settings.endpoint)
    }

    /// Makes this loop's connection and starts connecting (on the loop). Attaching twice is a no-op.
    public func attach(_ loop: EventLoop) {
        let connection = connections.withLock { map -> RedisConnection? in
            guard map[ObjectIdentifier(loop)] == nil else { return nil }
            let made = RedisConnection(loop: loop, settings: settings, target: target, status: status)
            map[ObjectIdentifier(loop)] = made
            return made
        }
        guard let connection else { return }
        if loop.isOnLoop { connection.start() } else { loop.execute { connection.start() } }
    }

    /// Closes every connection for good (each on its loop).
    public func close() {
        let all = connections.withLock { Array($0.values) }
        for connection in all {
            if connection.loop.isOnLoop { connection.close() } else { connection.loop.execute { connection.close() } }
        }
    }

    /// Closes `loop`'s connection for good; on `loop` (at shutdown, once its requests are over).
    public func close(on loop: EventLoop) {
        connection(for: loop)?.close()
    }

    /// True when this loop's connection is up (commands are sent).
    public func isUp(on loop: EventLoop) -> Bool {
        connection(for: loop)?.state == .ready
    }

    private func connection(for loop: EventLoop) -> RedisConnection? {
        connections.withLock { $0[ObjectIdentifier(loop)] }
    }

    /// Sends one command (binary-safe arguments) on `loop`'s connection; `then` runs on `loop`.
    /// Commands sent one after another from a loop are pipelined and answered in order.
    public func command(_ arguments: [[UInt8]], on loop: EventLoop, then: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        guard let connection = connection(for: loop) else {
            then(.failure(.unavailable("no connection on this event loop (not attached)")))
            return
        }
        connection.send(arguments, then: then)
    }

    public func command(_ arguments: [String], on loop: EventLoop, then: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        command(arguments.map { Array($0.utf8) }, on: loop, then: then)
    }

    /// `GET key` (what a replica's key lookup needs): the value's bytes, nil when the key is absent.
    public func get(_ key: String, on loop: EventLoop, then: @escaping (Result<[UInt8]?, RedisFailure>) -> Void) {
        command(["GET", key], on: loop) { result in
            switch result {
            case .success(.bulk(let bytes)): then(.success(bytes))
            case .success(.null): then(.success(nil))
            case .success(let other): then(.failure(.connectionLost("unexpected reply to GET: \(other)")))
            case .failure(let failure): then(.failure(failure))
            }
        }
    }

    /// Runs `script` with EVALSHA (SCRIPT LOAD first on this connection's first use; loaded
    /// again when the server answers NOSCRIPT). A script's error comes back as `.error`.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String], on loop: EventLoop, then: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        guard let connection = connection(for: loop) else {
            then(.failure(.unavailable("no connection on this event loop (not attached)")))
            return
        }
        let tail = [Array(String(keys.count).utf8)] + keys.map { Array($0.utf8) } + arguments.map { Array($0.utf8) }
        if let sha = connection.loadedScripts[script.identity]?.sha {
            connection.send([Array("EVALSHA".utf8), sha] + tail) { result in
                if case .success(.error(let message)) = result, message.hasPrefix("NOSCRIPT") {
                    connection.loadedScripts[script.identity] = nil
                    Self.loadThenRun(script, tail, on: connection, then: then)
                } else {
                    then(result)
                }
            }
        } else {
            Self.loadThenRun(script, tail, on: connection, then: then)
        }
    }

    private static func loadThenRun(_ script: RedisScript, _ tail: [[UInt8]], on connection: RedisConnection, then: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        connection.send([Array("SCRIPT".utf8), Array("LOAD".utf8), Array(script.source.utf8)]) { result in
            switch result {
            case .success(.bulk(let sha)):
                connection.loadedScripts[script.identity] = (script, sha)
                connection.send([Array("EVALSHA".utf8), sha] + tail, then: then)
            case .success(let other):
                then(.success(other.isError ? other : .error("SCRIPT LOAD answered \(other)")))
            case .failure(let failure):
                then(.failure(failure))
            }
        }
    }
}
