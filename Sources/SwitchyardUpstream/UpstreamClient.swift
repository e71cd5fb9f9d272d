import CCurl
import SwitchyardPosix

/// libcurl's multi interface driven by one `EventLoop`: curl tells us which sockets to watch
/// (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION); the loop reports
/// readiness back through curl_multi_socket_action. No thread per request, no polling: upstream
/// I/O runs on the thread that accepted the client request. The multi handle keeps the
/// connection cache, so keep-alive connections to an upstream are reused across requests.
///
/// Threading: loop-confined. Create it anywhere, then use it only on `loop`'s thread.
public final class UpstreamClient: @unchecked Sendable {
    public let loop: EventLoop
    let multi: UnsafeMutableRawPointer
    private var timer: TimerID?
    private var watchers: [Int32: SocketWatcher] = [:]
    private var idleHandles: [UnsafeMutableRawPointer] = []
    private var running: Int32 = 0

    public init(loop: EventLoop) {
        precondition(CurlGlobal.initialized, "curl_global_init failed")
        self.loop = loop
        multi = curl_multi_init()
        let me = Unmanaged.passUnretained(self).toOpaque()
        sy_curl_multi_setopt_socket_cb(multi, socketCallback)
        sy_curl_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, me)
        sy_curl_multi_setopt_timer_cb(multi, timerCallback)
        sy_curl_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, me)
        sy_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 256)
    }

    deinit {
        for handle in idleHandles { curl_easy_cleanup(handle) }
        curl_multi_cleanup(multi)
    }

    /// Starts a transfer; the delegate hears about it on this loop, `upstreamComplete` last.
    @discardableResult
    public func start(_ request: UpstreamRequest, delegate: UpstreamResponseDelegate) -> UpstreamTransfer {
        let handle = idleHandles.popLast() ?? curl_easy_init()!
        let transfer = UpstreamTransfer(client: self, handle: handle, request: request, delegate: delegate)
        if let failure = transfer.configure() {
            transfer.finish(.failure(failure))
            return transfer
        }
        let code = curl_multi_add_handle(multi, handle)
        guard code == CURLM_OK else {
            transfer.finish(.failure(UpstreamError(.other, "curl_multi_add_handle: \(String(cString: curl_multi_strerror(code)))")))
            return transfer
        }
        transfer.active = true
        return transfer
    }

    // MARK: curl → loop

    fileprivate func watch(_ fd: Int32, what: Int32) {
        if what == CURL_POLL_REMOVE {
            if watchers.removeValue(forKey: fd) != nil { loop.unregister(fd: fd) }
            return
        }
        var events: IOEvents = []
        if what == CURL_POLL_IN || what == CURL_POLL_INOUT { events.insert(.readable) }
        if what == CURL_POLL_OUT || what == CURL_POLL_INOUT { events.insert(.writable) }
        if watchers[fd] != nil {
            try? loop.modify(fd: fd, events: events)
        } else {
            let watcher = SocketWatcher(client: self)
            do {
                try loop.register(fd: fd, events: events, handler: watcher)
                watchers[fd] = watcher
            } catch {
                // Only possible when curl reuses an fd we never saw removed: re-arm it.
                loop.unregister(fd: fd)
                if (try? loop.register(fd: fd, events: events, handler: watcher)) != nil { watchers[fd] = watcher }
            }
        }
    }

    fileprivate func setTimer(milliseconds: Int) {
        if let timer { loop.cancel(timer) }
        timer = nil
        guard milliseconds >= 0 else { return }
        // Never call back into curl from inside its own callback: act on the next loop turn.
        timer = loop.schedule(after: UInt64(milliseconds) * 1_000_000) { [unowned self] in
            timer = nil
            act(on: CURL_SOCKET_TIMEOUT, events: 0)
        }
    }

    // MARK: loop → curl

    fileprivate func act(on fd: Int32, events: Int32) {
        curl_multi_socket_action(multi, fd, events, &running)
        collectCompleted()
    }

    private func collectCompleted() {
        var pending: Int32 = 0
        while let message = curl_multi_info_read(multi, &pending) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var raw: UnsafeMutableRawPointer?
            sy_curl_easy_getinfo_ptr(handle, CURLINFO_PRIVATE, &raw)
            curl_multi_remove_handle(multi, handle)
            guard let raw else { continue }
            let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(raw).takeUnretainedValue()
            transfer.active = false
            transfer.finish(transfer.result(for: code))
        }
    }

    /// Takes back an easy handle once its transfer is over (kept for reuse).
    func recycle(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        if idleHandles.count < 64 { idleHandles.append(handle) } else { curl_easy_cleanup(handle) }
    }

    func remove(_ handle: UnsafeMutableRawPointer) {
        curl_multi_remove_handle(multi, handle)
    }
}

/// Forwards readiness of one curl socket to the multi handle.
final class SocketWatcher: IOHandler {
    unowned let client: UpstreamClient

    init(client: UpstreamClient) { self.client = client }

    func handleIO(fd: Int32, events: IOEvents) {
        var mask: Int32 = 0
        if events.contains(.readable) || events.contains(.hangup) { mask |= CURL_CSELECT_IN }
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
