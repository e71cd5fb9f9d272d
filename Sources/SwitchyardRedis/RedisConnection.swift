import CHiredis
import SwitchyardPosix

/// This loop's connection to Redis: connects, authenticates and selects the database, sends
/// commands (pipelined: hiredis queues their callbacks in order), times each one out, and
/// reconnects with a doubling backoff when the connection breaks.
///
/// Threading: confined to its loop; every method runs there and every completion is called
/// there. Ownership: the `RedisClient` owns one per loop; it owns the current `RedisLink`.
final class RedisConnection: @unchecked Sendable {
    enum State: Equatable { case down, connecting, ready }

    let loop: EventLoop
    private let settings: RedisSettings
    /// The endpoint with its host already resolved to an address (no DNS on the loop).
    private let target: RedisSettings.Endpoint
    private let status: RedisStatus
    private(set) var state: State = .down
    private var link: RedisLink?
    private var downReason = "not connected yet"
    private var backoff: UInt64 = 0
    private var connectTimer: TimerID?
    private var reconnectTimer: TimerID?
    private var closed = false
    /// Scripts loaded on this connection's server (SCRIPT LOAD answered): their SHA1s. The
    /// script is kept too, so its identity cannot be reused by another object.
    var loadedScripts: [ObjectIdentifier: (script: RedisScript, sha: [UInt8])] = [:]

    init(loop: EventLoop, settings: RedisSettings, target: RedisSettings.Endpoint, status: RedisStatus) {
        self.loop = loop
        self.settings = settings
        self.target = target
        self.status = status
        status.connectionAdded()
    }

    var timeoutMilliseconds: Int { Int(settings.timeoutNanoseconds / 1_000_000) }

    // MARK: commands

    /// Sends a command; `then` runs on this loop with the reply or the failure (at once when
    /// the connection is not up: no queue builds up behind an outage).
    func send(_ arguments: [[UInt8]], then: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        assert(loop.isOnLoop, "a Redis command must be sent on the loop its connection belongs to")
        guard state == .ready, let link else {
            fail(then, .unavailable(downReason))
            return
        }
        transmit(arguments, on: link, then: { [status] result in
            if case .failure(let failure) = result { status.commandFailed(failure) }
            then(result)
        })
    }

    private func fail(_ then: (Result<RedisReply, RedisFailure>) -> Void, _ failure: RedisFailure) {
        status.commandFailed(failure)
        then(.failure(failure))
    }

    /// Queues the command on the link's context (also before the link is ready: the handshake).
    private func transmit(_ arguments: [[UInt8]], on link: RedisLink, then: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        guard let context = link.context else {
            then(.failure(.unavailable(downReason)))
            return
        }
        let pending = RedisPendingCommand(loop: loop, completion: then)
        let privdata = Unmanaged.passRetained(pending).toOpaque()
        let queued = RedisArguments.withArgv(arguments) { count, pointers, lengths in
            redisAsyncCommandArgv(context, { context, reply, privdata in
                let pending = Unmanaged<RedisPendingCommand>.fromOpaque(privdata!).takeRetainedValue()
                if let reply {
                    pending.finish(.success(RedisReply(UnsafePointer(reply.assumingMemoryBound(to: redisReply.self)))))
                } else {
                    // hiredis is freeing the context: a disconnect, or our own drop.
                    // Mark the connection down first, so a completion that sends again fails at once.
                    let link = RedisLink.from(UnsafePointer(context))
                    let reason = RedisLink.errorText(UnsafePointer(context)) ?? link?.dropReason ?? "connection closed"
                    if let link { link.owner?.linkFailed(link, reason: reason, drop: false) }
                    pending.finish(.failure(.connectionLost(reason)))
                }
            }, privdata, count, pointers, lengths)
        }
        guard queued == REDIS_OK else {
            Unmanaged<RedisPendingCommand>.fromOpaque(privdata).release()
            then(.failure(.unavailable("the connection is closing")))
            return
        }
        let timeout = settings.timeoutNanoseconds
        pending.timer = loop.schedule(after: timeout) { [weak self, weak pending, weak link] in
            guard let pending, !pending.isFinished else { return }
            let failure = RedisFailure.timeout(milliseconds: Int(timeout / 1_000_000))
            // A late reply would be taken for the next command's: this connection is done.
            // Down first (a completion that sends again fails at once), then the timeout, then
            // the drop (which fails the commands queued behind this one).
            if let self, let link { self.linkFailed(link, reason: failure.description, drop: false) }
            pending.finish(.failure(failure))
            link?.drop(reason: failure.description)
        }
    }

    // MARK: connecting

    func start() {
        guard !closed, link == nil else { return }
        reconnectTimer = nil
        let created: UnsafeMutablePointer<redisAsyncContext>?
        switch target {
        case .tcp(let host, let port): created = redisAsyncConnect(host, Int32(port))
        case .unix(let path): created = redisAsyncConnectUnix(path)
        }
        guard let context = created else {
            wentDown("cannot allocate a connection")
            return
        }
        if let error = RedisLink.errorText(UnsafePointer(context)) {
            redisAsyncFree(context)
            wentDown(error)
            return
        }
        let link = RedisLink(loop: loop, context: context, owner: self)
        self.link = link
        state = .connecting
        // The hooks must be set first: setting the connect callback asks for write interest,
        // the first writable event being how hiredis learns the connection is made.
        redisAsyncSetConnectCallback(context) { context, result in
            // On failure hiredis frees the context itself right after this callback returns.
            guard result != REDIS_OK, let link = RedisLink.from(context) else { return }
            link.owner?.linkFailed(link, reason: RedisLink.errorText(context) ?? "connect failed", drop: false)
        }
        redisAsyncSetDisconnectCallback(context) { context, _ in
            guard let link = RedisLink.from(context) else { return }
            link.owner?.linkFailed(link, reason: RedisLink.errorText(context) ?? "disconnected", drop: false)
        }
        connectTimer = loop.schedule(after: max(settings.connectTimeoutNanoseconds, settings.timeoutNanoseconds)) { [weak self, weak link] in
            guard let self, let link, self.link === link, self.state == .connecting else { return }
            self.linkFailed(link, reason: "no connection within \(self.settings.connectTimeoutNanoseconds / 1_000_000) ms")
        }
        handshake(on: link)
    }

    /// AUTH and SELECT when configured, then PING: queued at once (hiredis sends them when the
    /// socket connects), the connection is ready when PING answers.
    private func handshake(on link: RedisLink) {
        var steps: [[[UInt8]]] = []
        if let password = settings.password { steps.append([Array("AUTH".utf8), Array(password.utf8)]) }
        if settings.database != 0 { steps.append([Array("SELECT".utf8), Array(String(settings.database).utf8)]) }
        steps.append([Array("PING".utf8)])
        for (index, step) in steps.enumerated() {
            let isLast = index == steps.count - 1
            let name = String(decoding: step[0], as: UTF8.self)
            transmit(step, on: link) { [weak self, weak link] result in
                guard let self, let link, self.link === link else { return }
                switch result {
                case .success(.error(let message)):
                    self.linkFailed(link, reason: "\(name) refused: \(message)")
                case .success:
                    if isLast { self.becameReady(link) }
                case .failure(let failure):
                    self.linkFailed(link, reason: failure.description)
                }
            }
        }
    }

    private func becameReady(_ link: RedisLink) {
        if let connectTimer { loop.cancel(connectTimer) }
        connectTimer = nil
        state = .ready
        backoff = 0
        status.connectionUp(settings.endpoint.description)
    }

    /// The link broke (hiredis disconnected, a connect failed, a command timed out, the
    /// handshake was refused): drop it, fail what waits on it, and try again later. Only the
    /// current link counts; late news from an older one is ignored. `drop`: free the context
    /// (false when hiredis is already freeing it, or the caller drops it next).
    func linkFailed(_ failed: RedisLink, reason: String, drop: Bool = true) {
        guard failed === link else { return }
        link = nil
        if let connectTimer { loop.cancel(connectTimer) }
        connectTimer = nil
        failed.owner = nil
        failed.dropReason = failed.dropReason ?? reason
        wentDown(reason)
        if drop { failed.drop(reason: reason) }
    }

    private func wentDown(_ reason: String) {
        let wasUp = state == .ready
        state = .down
        downReason = reason
        loadedScripts = [:]
        // Closed at shutdown: not an outage (nothing logged, no reconnection).
        if closed { status.connectionClosed(wasUp: wasUp) } else { status.connectionDown(wasUp: wasUp, settings.endpoint.description, reason: reason) }
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        guard !closed, reconnectTimer == nil else { return }
        backoff = backoff == 0 ? 100_000_000 : min(backoff * 2, settings.reconnectCapNanoseconds)
        reconnectTimer = loop.schedule(after: backoff) { [weak self] in
            self?.reconnectTimer = nil
            self?.start()
        }
    }

    /// Closes for good (the client is shut down): waiting commands fail, no reconnection.
    func close() {
        closed = true
        if let reconnectTimer { loop.cancel(reconnectTimer) }
        reconnectTimer = nil
        if let link { linkFailed(link, reason: "client closed") }
    }
}
