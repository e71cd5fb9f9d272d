import CHiredis
import SwitchyardPosix

/// One hiredis async context (one TCP or unix connection attempt) and its registration with the
/// event loop. hiredis asks for read and write interest through the context's `ev` hooks; we
/// translate them into epoll interest and call `redisAsyncHandleRead/Write` on readiness.
///
/// Threading: confined to its loop. Ownership: the `RedisConnection` holds the link it is using;
/// the loop holds it while its fd is registered. hiredis owns the context and frees it (on a
/// disconnect, or when we call `redisAsyncFree`), calling `cleanup` first: from then on
/// `context` is nil and the link is inert.
final class RedisLink: IOHandler {
    let loop: EventLoop
    private(set) var context: UnsafeMutablePointer<redisAsyncContext>?
    weak var owner: RedisConnection?
    /// Why we dropped this link ourselves (a timeout), for the commands hiredis fails as it frees.
    var dropReason: String?
    private var fd: Int32 = -1
    private var interest: IOEvents = []
    private var registered = false
    private var freeRequested = false

    init(loop: EventLoop, context: UnsafeMutablePointer<redisAsyncContext>, owner: RedisConnection) {
        self.loop = loop
        self.context = context
        self.owner = owner
        fd = context.pointee.c.fd
        let me = Unmanaged.passUnretained(self).toOpaque()
        context.pointee.data = me
        context.pointee.ev.data = me
        context.pointee.ev.addRead = { RedisLink.from($0)?.want(.readable, true) }
        context.pointee.ev.delRead = { RedisLink.from($0)?.want(.readable, false) }
        context.pointee.ev.addWrite = { RedisLink.from($0)?.want(.writable, true) }
        context.pointee.ev.delWrite = { RedisLink.from($0)?.want(.writable, false) }
        context.pointee.ev.cleanup = { RedisLink.from($0)?.contextWillBeFreed() }
    }

    static func from(_ raw: UnsafeMutableRawPointer?) -> RedisLink? {
        guard let raw else { return nil }
        return Unmanaged<RedisLink>.fromOpaque(raw).takeUnretainedValue()
    }

    static func from(_ context: UnsafePointer<redisAsyncContext>?) -> RedisLink? {
        from(context?.pointee.data)
    }

    /// hiredis's error text for the context (ac->errstr), if it has one.
    static func errorText(_ context: UnsafePointer<redisAsyncContext>?) -> String? {
        guard let context, context.pointee.err != 0, let text = context.pointee.errstr else { return nil }
        return String(cString: text)
    }

    /// Frees the context now (or, inside a hiredis callback, as soon as it returns): every
    /// command still waiting gets a nil reply, and `cleanup` unregisters the fd.
    func drop(reason: String) {
        guard let context, !freeRequested else { return }
        freeRequested = true
        dropReason = reason
        redisAsyncFree(context)
    }

    private func want(_ event: IOEvents, _ on: Bool) {
        let updated = on ? interest.union(event) : interest.subtracting(event)
        guard updated != interest || !registered else { return }
        interest = updated
        do {
            if registered {
                try loop.modify(fd: fd, events: interest)
            } else {
                try loop.register(fd: fd, events: interest, handler: self)
                registered = true
            }
        } catch {
            // epoll refused the fd (only when out of memory): this connection cannot work. Not
            // freed from inside hiredis's hook call: on the loop's next turn.
            let reason = "epoll: \(error)"
            loop.schedule(after: 0) { [weak self] in
                guard let self else { return }
                self.owner?.linkFailed(self, reason: reason)
            }
        }
    }

    private func contextWillBeFreed() {
        if registered { loop.unregister(fd: fd) }
        registered = false
        context = nil
    }

    func handleIO(fd: Int32, events: IOEvents) {
        // Hang-ups and errors are read: the read sees the end or the error and hiredis disconnects.
        if !events.isDisjoint(with: [.readable, .hangup, .error, .peerClosed]), let context {
            redisAsyncHandleRead(context)
        }
        // The read may have freed the context (a disconnect): look again.
        if events.contains(.writable), let context {
            redisAsyncHandleWrite(context)
        }
    }
}
