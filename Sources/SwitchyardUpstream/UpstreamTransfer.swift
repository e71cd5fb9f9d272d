import CCurl
import SwitchyardPosix

/// One upstream request in flight. Owns its easy handle, header list and body copy until the end;
/// holds its delegate strongly until `upstreamComplete`, which runs exactly once.
///
/// Lifetime: the transfer keeps itself alive (a retained `Unmanaged`, whose pointer curl holds as
/// CURLOPT_PRIVATE and callback data) from `start` until it completes, so callers need not keep it.
///
/// A streamed body (`bodySource`) is pulled by curl's read callback straight into curl's upload
/// buffer; when the source has nothing the callback pauses sending (CURL_READFUNC_PAUSE), and
/// the source's `onReadable` unpauses it. Receive and send pauses are separate bits, and every
/// curl_easy_pause states both. A final response of 300 or more before the body is out makes
/// curl stop sending and close the connection afterwards.
///
/// curl asks for more body only when the socket has taken what it holds, so a read callback is
/// the sign that the upstream reads: before the head, a silence between them longer than the
/// send-stall timeout (idle, else first-byte), while the source is not the one waited for,
/// fails the transfer with `.idleTimeout` (the upstream stopped reading the body).
///
/// Threading: confined to the client's loop, like `UpstreamClient`.
public final class UpstreamTransfer: UpstreamCall {
    unowned let client: UpstreamClient
    let handle: UnsafeMutableRawPointer
    let request: UpstreamRequest
    private var delegate: UpstreamResponseDelegate?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var body: UnsafeMutableRawBufferPointer?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var head = ResponseHeadParser()
    private var retained: Unmanaged<UpstreamTransfer>?
    /// True while one of this transfer's own delegate callbacks runs inside curl.
    private var inCallback = false
    private var cancelled = false
    /// Why the transfer was stopped early, once `cancelled`.
    private var pendingError: UpstreamError?
    private var malformedHead = false
    private var watchdog: TimerID?
    private var lastActivity: UInt64 = 0
    /// The caller paused receiving: silence is not the upstream's, the idle timeout waits.
    private var paused = false
    /// The body source had nothing: curl's sending is paused until it calls `onReadable`.
    private var sendPaused = false
    /// The source called `onReadable` during our own read of it.
    private var sourceSignalled = false
    /// Bytes a streamed body with a declared length still owes.
    private var bodyRemaining = Int.max
    /// When the streamed body was out whole (0 before): the first-byte timeout counts from it.
    private var bodySentAt: UInt64 = 0
    /// When curl last took body bytes from the read callback (0 before the first), or the source
    /// last ended a wait: the send-stall timeout counts from it.
    private var bodyTakenAt: UInt64 = 0
    private var sourceWaitStartedAt: UInt64 = 0
    /// Nanoseconds spent waiting for the source, not counting a wait in progress.
    private var sourceWaited: UInt64 = 0
    /// True while the easy handle is part of the multi handle.
    var inMulti = false
    public private(set) var timings = UpstreamTimings()

    /// False once `upstreamComplete` has been called (or is being called).
    public var isActive: Bool { delegate != nil }

    init(client: UpstreamClient, handle: UnsafeMutableRawPointer, request: UpstreamRequest, delegate: UpstreamResponseDelegate) {
        self.client = client
        self.handle = handle
        self.request = request
        self.delegate = delegate
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        timings.started = monotonicNanoseconds()
        lastActivity = timings.started
    }

    deinit {
        errorBuffer.deallocate()
    }

    /// Sets every option on the easy handle; an error when the request cannot be sent at all.
    func configure() -> UpstreamError? {
        retained = Unmanaged.passRetained(self)
        let me = retained!.toOpaque()
        if request.method != "GET" && request.method != "HEAD" {
            // curl sends straight from this buffer; it lives until `finish`. Never empty: a null
            // POSTFIELDS would turn the request back into a GET.
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, request.body.count), alignment: 1)
            request.body.withUnsafeBytes { copy.copyMemory(from: $0) }
            body = copy
        }
        if let message = EasyHandleOptions(handle: handle).apply(request, body: body, headerList: &headerList) {
            return UpstreamError(.other, message)
        }
        sy_curl_easy_setopt_ptr(handle, CURLOPT_PRIVATE, me)
        sy_curl_easy_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        sy_curl_easy_setopt_data_cb(handle, CURLOPT_HEADERFUNCTION, headerCallback)
        sy_curl_easy_setopt_ptr(handle, CURLOPT_HEADERDATA, me)
        sy_curl_easy_setopt_data_cb(handle, CURLOPT_WRITEFUNCTION, writeCallback)
        sy_curl_easy_setopt_ptr(handle, CURLOPT_WRITEDATA, me)
        if let source = request.bodySource, request.method != "HEAD" {
            bodyRemaining = source.length ?? .max
            sy_curl_easy_setopt_data_cb(handle, CURLOPT_READFUNCTION, readCallback)
            sy_curl_easy_setopt_ptr(handle, CURLOPT_READDATA, me)
            source.onReadable = { [weak self] in self?.sourceReadable() }
        }
        armWatchdog()
        return nil
    }

    /// Stops the transfer. `upstreamComplete(.failure(.cancelled))` follows exactly once: at once
    /// when called outside curl, or as soon as curl has unwound when called from a delegate
    /// callback. No further head or body callbacks arrive after `cancel()` returns. A no-op once
    /// the transfer has completed.
    public func cancel() {
        fail(.cancelled)
    }

    public func pauseReceiving() {
        guard delegate != nil, !cancelled else { return }
        paused = true
        client.whenOutsideCurl { [self] in
            if inMulti { client.pause(self, receiving: !paused, sending: !sendPaused) }
        }
    }

    public func resumeReceiving() {
        guard delegate != nil, !cancelled else { return }
        paused = false
        lastActivity = monotonicNanoseconds()  // the pause was the caller's, not the upstream's
        if watchdog == nil { armWatchdog() }
        client.whenOutsideCurl { [self] in
            if inMulti { client.pause(self, receiving: !paused, sending: !sendPaused) }
        }
    }

    // MARK: the streamed request body

    /// curl wants up to `buffer.count` body bytes: the count, 0 at the end, or PAUSE / ABORT.
    fileprivate func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let source = request.bodySource, !cancelled else { return Int(CURL_READFUNC_ABORT) }
        if bodyRemaining == 0 { return 0 }
        let area = UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, bodyRemaining)])
        var retries = 0
        while true {
            sourceSignalled = false
            switch source.read(into: area) {
            case .bytes(let count):
                guard count > 0, count <= area.count else {
                    return abortBody(UpstreamError(.requestBody, "request body source answered \(count) bytes for \(area.count)", reason: "broken request body"))
                }
                let first = bodyTakenAt == 0
                bodyTakenAt = monotonicNanoseconds()
                if bodyRemaining != .max {
                    bodyRemaining -= count
                    if bodyRemaining == 0 { bodySent(); return count }
                }
                // The send-stall timeout starts with the first bytes; later ones only move its
                // deadline, which the watchdog finds when it fires.
                if first, sendStallTimeout > 0 { rearmWatchdog() }
                return count
            case .wait:
                // A source that signalled during this very read has more already.
                if sourceSignalled && retries < 2 {
                    retries += 1
                    continue
                }
                sendPaused = true
                sourceWaitStartedAt = monotonicNanoseconds()
                return Int(CURL_READFUNC_PAUSE)
            case .end:
                if bodyRemaining != .max {
                    return abortBody(UpstreamError(
                        .requestBody, "request body ended \(bodyRemaining) bytes short of its declared length",
                        reason: "request body shorter than its length"))
                }
                bodySent()
                return 0
            case .failed(let reason):
                return abortBody(UpstreamError(.requestBody, "request body failed: \(reason)", reason: reason))
            }
        }
    }

    /// From inside curl's read callback: curl ends the transfer with an abort, and
    /// `completion(for:)` reports `error`.
    private func abortBody(_ error: UpstreamError) -> Int {
        cancelled = true
        pendingError = error
        return Int(CURL_READFUNC_ABORT)
    }

    private func bodySent() {
        bodySentAt = monotonicNanoseconds()
        rearmWatchdog()
    }

    /// The source has bytes again: unpause sending (outside curl), and let the total timeout
    /// run again without the wait.
    private func sourceReadable() {
        sourceSignalled = true
        guard sendPaused, delegate != nil, !cancelled else { return }
        sendPaused = false
        let now = monotonicNanoseconds()
        sourceWaited &+= now &- sourceWaitStartedAt
        sourceWaitStartedAt = 0
        if timings.head != 0 { lastActivity = now }  // an upstream that answered early may wait for the body
        if bodyTakenAt != 0 { bodyTakenAt = now }  // the wait was the source's, not the upstream's
        rearmWatchdog()
        client.whenOutsideCurl { [self] in
            // The state as it is when this runs: a read callback in between may have paused again.
            if inMulti, !cancelled { client.pause(self, receiving: !paused, sending: !sendPaused) }
        }
    }

    /// Ends the transfer early with `error` (cancel, watchdog timeouts).
    private func fail(_ error: UpstreamError) {
        guard delegate != nil, !cancelled else { return }
        cancelled = true
        pendingError = error
        // From our own callback: it returns 0, curl ends the transfer with a write error, and
        // `completion(for:)` reports `error`.
        if inCallback { return }
        client.whenOutsideCurl { [self] in
            if inMulti { client.remove(self) }
            finish(.failure(error))
        }
    }

    // MARK: callbacks from curl

    fileprivate func headerLine(_ line: UnsafeRawBufferPointer) -> Bool {
        if cancelled { return false }
        switch head.consume(line) {
        case .more:
            return true
        case .malformed:
            malformedHead = true
            return false
        case .head:
            timings.head = monotonicNanoseconds()
            lastActivity = timings.head
            if watchdog == nil { armWatchdog() }  // the idle timeout starts now
            inCallback = true
            delegate?.upstreamHead(status: head.status, headers: head.headers)
            inCallback = false
            return !cancelled
        }
    }

    fileprivate func bodyBytes(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if cancelled { return false }
        if request.idleTimeout > 0 { lastActivity = monotonicNanoseconds() }
        inCallback = true
        delegate?.upstreamBody(bytes)
        inCallback = false
        return !cancelled
    }

    // MARK: watchdog: first-byte and idle timeouts on loop timers (curl does connect and total)

    private func armWatchdog() {
        guard let deadline = nextDeadline() else { return }
        let now = monotonicNanoseconds()
        watchdog = client.loop.schedule(after: deadline > now ? deadline - now : 0) { [weak self] in
            self?.watchdog = nil
            self?.checkWatchdog()
        }
    }

    private func rearmWatchdog() {
        if let watchdog { client.loop.cancel(watchdog) }
        watchdog = nil
        armWatchdog()
    }

    /// With a streamed body the first byte is awaited from the end of the body.
    private var firstByteDeadline: UInt64? {
        guard request.firstByteTimeout > 0, timings.head == 0 else { return nil }
        if !request.streamsBody { return timings.started &+ request.firstByteTimeout }
        return bodySentAt == 0 ? nil : bodySentAt &+ request.firstByteTimeout
    }

    /// Kept here (not by curl) only with a streamed body: pushed back by the time spent waiting
    /// for the source, and not running while a wait is in progress.
    private var totalDeadline: UInt64? {
        guard request.totalTimeout > 0, request.streamsBody, sourceWaitStartedAt == 0 else { return nil }
        return timings.started &+ request.totalTimeout &+ sourceWaited
    }

    /// How long curl may go without taking body bytes before the head: the idle timeout, or
    /// without one the first-byte timeout (0: no limit).
    private var sendStallTimeout: UInt64 { request.idleTimeout > 0 ? request.idleTimeout : request.firstByteTimeout }

    /// While curl holds body bytes the upstream does not take (it started on the body, the
    /// source is not being waited for, the body is not all out), before the head. Without this
    /// an upstream that stops reading would hold the transfer forever: the first-byte timeout
    /// waits for the end of the body, and the client's body timer is paused by our full buffer.
    private var sendStallDeadline: UInt64? {
        guard bodyTakenAt != 0, bodySentAt == 0, sourceWaitStartedAt == 0, timings.head == 0, sendStallTimeout > 0 else { return nil }
        return bodyTakenAt &+ sendStallTimeout
    }

    private func nextDeadline() -> UInt64? {
        var deadline: UInt64?
        if let firstByte = firstByteDeadline { deadline = firstByte }
        if let total = totalDeadline { deadline = min(deadline ?? .max, total) }
        if let stall = sendStallDeadline { deadline = min(deadline ?? .max, stall) }
        if request.idleTimeout > 0, timings.head != 0, !paused, sourceWaitStartedAt == 0 {
            deadline = min(deadline ?? .max, lastActivity &+ request.idleTimeout)
        }
        return deadline
    }

    private func checkWatchdog() {
        guard delegate != nil, !cancelled else { return }
        let now = monotonicNanoseconds()
        if let total = totalDeadline, now >= total {
            return fail(UpstreamError(.totalTimeout, "upstream took longer than \(request.totalTimeout / 1_000_000) ms"))
        }
        if let firstByte = firstByteDeadline, now >= firstByte {
            return fail(UpstreamError(.firstByteTimeout, "no response head within \(request.firstByteTimeout / 1_000_000) ms"))
        }
        if let stall = sendStallDeadline, now >= stall {
            return fail(.requestBodyStalled(after: sendStallTimeout))
        }
        if request.idleTimeout > 0, timings.head != 0, !paused, sourceWaitStartedAt == 0, now &- lastActivity >= request.idleTimeout {
            return fail(UpstreamError(.idleTimeout, "no data from upstream for \(request.idleTimeout / 1_000_000) ms"))
        }
        armWatchdog()
    }

    // MARK: completion

    /// The result for curl's final code of this transfer.
    func completion(for code: CURLcode) -> UpstreamResult {
        if cancelled { return .failure(pendingError ?? .cancelled) }
        if code == CURLE_OK {
            return head.isComplete ? .success : .failure(UpstreamError(.other, "upstream sent no response head", reason: "no response head"))
        }
        if malformedHead { return .failure(UpstreamError(.other, "malformed response head from upstream", reason: "malformed response")) }
        // curl says "timed out" for its connect and total timeouts alike: it was the connect
        // timeout if the connection never got ready (and the total had not run out first).
        let elapsed = monotonicNanoseconds() &- timings.started
        if code == CURLE_OPERATION_TIMEDOUT, !connected, request.totalTimeout == 0 || elapsed < request.totalTimeout {
            return .failure(UpstreamError(.connectTimeout, UpstreamError.text(curl: code, detail: errorBuffer)))
        }
        var osErrno = 0
        sy_curl_easy_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno)
        return .failure(UpstreamError(curl: code, detail: errorBuffer, osErrno: Int32(truncatingIfNeeded: osErrno)))
    }

    /// Whether the connection (TCP, and TLS for https) was ever ready to carry the request.
    private var connected: Bool {
        var pretransfer: curl_off_t = 0
        sy_curl_easy_getinfo_off(handle, CURLINFO_PRETRANSFER_TIME_T, &pretransfer)
        return pretransfer > 0
    }

    /// Releases everything and tells the delegate, once. Only outside curl callbacks.
    func finish(_ result: UpstreamResult) {
        guard let delegate else { return }
        self.delegate = nil
        timings.completed = monotonicNanoseconds()
        if let watchdog { client.loop.cancel(watchdog) }
        watchdog = nil
        request.bodySource?.onReadable = nil
        curl_slist_free_all(headerList)
        headerList = nil
        body?.deallocate()
        body = nil
        client.recycle(handle)
        delegate.upstreamComplete(result)
        retained?.release()
        retained = nil
    }
}

private let headerCallback: sy_curl_data_cb = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    return transfer.headerLine(UnsafeRawBufferPointer(start: pointer, count: length)) ? length : 0
}

private let readCallback: sy_curl_data_cb = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return Int(CURL_READFUNC_ABORT) }
    let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.readBody(into: UnsafeMutableRawBufferPointer(start: pointer, count: size * count))
}

private let writeCallback: sy_curl_data_cb = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    return transfer.bodyBytes(UnsafeRawBufferPointer(start: pointer, count: length)) ? length : 0
}
