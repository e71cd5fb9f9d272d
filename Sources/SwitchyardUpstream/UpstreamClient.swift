import CCurl
import SwitchyardPosix

/// libcurl's multi interface driven by one `EventLoop`: curl tells us which sockets to watch
/// (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION); the loop reports
/// readiness back through curl_multi_socket_action, after which finished transfers are collected
/// with curl_multi_info_read. No thread per request, no polling: upstream I/O runs on the thread
/// that accepted the client request.
///
/// Reuse: the multi handle keeps the connection cache (keep-alive connections and TLS sessions
/// survive across transfers) and the DNS cache; finished easy handles are reset and pooled.
///
/// Re-entrancy: libcurl forbids adding or removing easy handles from inside its callbacks, and
/// delegate callbacks run inside them. Work that would break the rule (cancelling another transfer
/// from a body callback, say) is queued and runs as soon as curl returns.
///
/// Threading: loop-confined. Create it anywhere, then use it only on `loop`'s thread.
public final class UpstreamClient: @unchecked Sendable {
    public let loop: EventLoop
    let multi: UnsafeMutableRawPointer
    private var curlTimer: TimerID?
    private var sockets = CurlSocketSet()
    /// The loop's handler for every curl socket (one object, so watching allocates nothing).
    private lazy var watcher = SocketWatcher(client: self)
    private var idleHandles: [UnsafeMutableRawPointer] = []
    private var running: Int32 = 0
    private var insideCurl = false
    private var afterCurl: [() -> Void] = []
    /// Plain-HTTP upstreams at literal addresses, spoken without libcurl; nil to send every
    /// request through curl.
    private let plain: PlainHTTPClient?

    /// Idle connections kept per client (per loop) for reuse.
    public static let maxCachedConnections = 256
    /// Easy handles kept for reuse once their transfer is over.
    static let maxIdleHandles = 64

    /// `plainHTTP: false` sends plain-HTTP requests through libcurl too (tests of both paths).
    public init(loop: EventLoop, plainHTTP: Bool = true) {
        precondition(CurlGlobal.initialized, "curl_global_init failed")
        self.loop = loop
        plain = plainHTTP ? PlainHTTPClient(loop: loop) : nil
        multi = curl_multi_init()
        let me = Unmanaged.passUnretained(self).toOpaque()
        sy_curl_multi_setopt_socket_cb(multi, socketCallback)
        sy_curl_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, me)
        sy_curl_multi_setopt_timer_cb(multi, timerCallback)
        sy_curl_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, me)
        sy_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, Self.maxCachedConnections)
    }

    /// Transfers still in flight are abandoned without completion: stop using the client (and
    /// its loop) only once they are done.
    deinit {
        if let curlTimer { loop.cancel(curlTimer) }
        sockets.unregisterAll(from: loop)
        for handle in idleHandles { curl_easy_cleanup(handle) }
        curl_multi_cleanup(multi)
    }

    /// Sockets watched for transfers in flight: curl's, plus plain connections in use
    /// (diagnostics and tests). Idle keep-alive connections are not counted.
    public var watchedSocketCount: Int { sockets.count + (plain?.busyCount ?? 0) }

    /// Idle keep-alive connections of the plain-HTTP path.
    public var idlePlainConnectionCount: Int { plain?.idleCount ?? 0 }

    /// Starts a transfer. The delegate hears about it on this loop, `upstreamComplete` last, and
    /// never from inside this call: a request curl refuses fails on the next loop turn.
    @discardableResult
    public func start(_ request: UpstreamRequest, delegate: UpstreamResponseDelegate) -> any UpstreamCall {
        if let plain, let target = plain.target(for: request.url) {
            return plain.start(request, target: target, delegate: delegate)
        }
        let handle = idleHandles.popLast() ?? curl_easy_init()!
        let transfer = UpstreamTransfer(client: self, handle: handle, request: request, delegate: delegate)
        if let failure = transfer.configure() {
            loop.schedule(after: 0) { transfer.finish(.failure(failure)) }
            return transfer
        }
        whenOutsideCurl { [self] in add(transfer) }
        return transfer
    }

    private func add(_ transfer: UpstreamTransfer) {
        guard transfer.isActive else { return }  // cancelled before it could be added
        let code = curl_multi_add_handle(multi, transfer.handle)
        guard code == CURLM_OK else {
            let failure = UpstreamError(.other, "curl_multi_add_handle: \(String(cString: curl_multi_strerror(code)))")
            loop.schedule(after: 0) { transfer.finish(.failure(failure)) }
            return
        }
        transfer.inMulti = true
    }

    /// Takes `transfer` out of the multi handle (curl closes its connection if it was mid-way).
    func remove(_ transfer: UpstreamTransfer) {
        transfer.inMulti = false
        curl_multi_remove_handle(multi, transfer.handle)
    }

    /// Tells curl which directions of `transfer` are paused (CURLPAUSE_RECV, CURLPAUSE_SEND, both
    /// or neither): the caller's receive pause and the body source's send pause are separate,
    /// and each call states both. Unpausing may deliver buffered data through the transfer's
    /// callbacks right away, so it counts as being inside curl.
    func pause(_ transfer: UpstreamTransfer, receiving: Bool, sending: Bool) {
        let mask = (receiving ? 0 : CURLPAUSE_RECV) | (sending ? 0 : CURLPAUSE_SEND)
        callingCurl { curl_easy_pause(transfer.handle, mask) }
    }

    /// Takes back an easy handle once its transfer is over.
    func recycle(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        if idleHandles.count < Self.maxIdleHandles { idleHandles.append(handle) } else { curl_easy_cleanup(handle) }
    }

    /// Runs `work` now, or right after curl returns when called from inside a curl callback.
    func whenOutsideCurl(_ work: @escaping () -> Void) {
        if insideCurl { afterCurl.append(work) } else { work() }
    }

    // MARK: curl → loop

    fileprivate func watch(_ fd: Int32, what: Int32) {
        sockets.update(fd: fd, what: what, loop: loop, handler: watcher)
    }

    fileprivate func setTimer(milliseconds: Int) {
        if let curlTimer { loop.cancel(curlTimer) }
        curlTimer = nil
        guard milliseconds >= 0 else { return }
        // Never call back into curl from inside its own callback: act on a later loop turn.
        curlTimer = loop.schedule(after: UInt64(milliseconds) * 1_000_000) { [unowned self] in
            curlTimer = nil
            act(on: CURL_SOCKET_TIMEOUT, events: 0)
        }
    }

    // MARK: loop → curl

    fileprivate func act(on fd: Int32, events: Int32) {
        callingCurl { curl_multi_socket_action(multi, fd, events, &running) }
    }

    /// Runs a curl call that may call back into transfers, then the work those callbacks
    /// deferred, then collects what finished.
    private func callingCurl(_ call: () -> Void) {
        insideCurl = true
        call()
        insideCurl = false
        while !afterCurl.isEmpty {
            let work = afterCurl
            afterCurl.removeAll(keepingCapacity: true)
            for item in work { item() }
        }
        collectCompleted()
    }

    private func collectCompleted() {
        var pending: Int32 = 0
        while let message = curl_multi_info_read(multi, &pending) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var raw: UnsafeMutableRawPointer?
            sy_curl_easy_getinfo_ptr(handle, CURLINFO_PRIVATE, &raw)
            guard let raw else {
                curl_multi_remove_handle(multi, handle)
                continue
            }
            let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(raw).takeUnretainedValue()
            remove(transfer)
            transfer.finish(transfer.completion(for: code))
        }
    }
}

/// Forwards readiness of curl's sockets to the multi handle. The loop holds it strongly; it holds
/// the client unowned (the client unregisters every socket in its deinit).
private final class SocketWatcher: IOHandler {
    unowned let client: UpstreamClient

    init(client: UpstreamClient) { self.client = client }

    func handleIO(fd: Int32, events: IOEvents) {
        var mask: Int32 = 0
        if events.contains(.readable) || events.contains(.hangup) || events.contains(.peerClosed) { mask |= CURL_CSELECT_IN }
        if events.contains(.writable) { mask |= CURL_CSELECT_OUT }
        if events.contains(.error) { mask |= CURL_CSELECT_ERR }
        client.act(on: fd, events: mask)
    }
}

private let socketCallback: curl_socket_callback = { _, fd, what, userp, _ in
    guard let userp else { return 0 }
    Unmanaged<UpstreamClient>.fromOpaque(userp).takeUnretainedValue().watch(fd, what: what)
    return 0
}

private let timerCallback: curl_multi_timer_callback = { _, milliseconds, userp in
    guard let userp else { return 0 }
    Unmanaged<UpstreamClient>.fromOpaque(userp).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}
