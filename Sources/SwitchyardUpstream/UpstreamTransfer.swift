import CCurl
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// One upstream request in flight. Owns its easy handle, header list and body until the end;
/// the delegate is held strongly until `upstreamComplete`, which runs exactly once.
///
/// Threading: confined to the client's loop.
public final class UpstreamTransfer {
    unowned let client: UpstreamClient
    let handle: UnsafeMutableRawPointer
    let request: UpstreamRequest
    private var delegate: UpstreamResponseDelegate?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var body: UnsafeMutableRawBufferPointer?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var status = 0
    private var headers: [(name: String, value: String)] = []
    private var headDelivered = false
    private var inCallback = false
    private var cancelled = false
    private var retained: Unmanaged<UpstreamTransfer>?
    var active = false
    public private(set) var timings = UpstreamTimings()

    init(client: UpstreamClient, handle: UnsafeMutableRawPointer, request: UpstreamRequest, delegate: UpstreamResponseDelegate) {
        self.client = client
        self.handle = handle
        self.request = request
        self.delegate = delegate
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        timings.started = monotonicNanoseconds()
    }

    deinit {
        errorBuffer.deallocate()
    }

    /// Sets every option on the easy handle; an error when the request cannot be sent at all.
    func configure() -> UpstreamError? {
        // The transfer keeps itself alive while curl holds a pointer to it.
        retained = Unmanaged.passRetained(self)
        let me = retained!.toOpaque()
        sy_curl_easy_setopt_ptr(handle, CURLOPT_PRIVATE, me)
        sy_curl_easy_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        guard sy_curl_easy_setopt_str(handle, CURLOPT_URL, request.url) == CURLE_OK else {
            return UpstreamError(.other, "invalid upstream URL \(request.url)")
        }
        sy_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        sy_curl_easy_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
        sy_curl_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        if request.connectTimeout > 0 { sy_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout / 1_000_000)) }
        if request.totalTimeout > 0 { sy_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(request.totalTimeout / 1_000_000)) }

        switch request.method {
        case "GET": sy_curl_easy_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "POST": sy_curl_easy_setopt_long(handle, CURLOPT_POST, 1)
        default: sy_curl_easy_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if request.method != "GET" {
            // curl reads the body from this buffer while sending: it lives until the transfer ends.
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, request.body.count), alignment: 1)
            request.body.withUnsafeBytes { copy.copyMemory(from: $0) }
            body = copy
            sy_curl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            sy_curl_easy_setopt_ptr(handle, CURLOPT_POSTFIELDS, copy.baseAddress)
        }
        // "Expect:" stops curl's 100-continue round trip on larger bodies.
        for line in request.headers.map({ "\($0.0): \($0.1)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        sy_curl_easy_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList)
        sy_curl_easy_setopt_data_cb(handle, CURLOPT_HEADERFUNCTION, headerCallback)
        sy_curl_easy_setopt_ptr(handle, CURLOPT_HEADERDATA, me)
        sy_curl_easy_setopt_data_cb(handle, CURLOPT_WRITEFUNCTION, writeCallback)
        sy_curl_easy_setopt_ptr(handle, CURLOPT_WRITEDATA, me)
        return nil
    }

    /// Stops the transfer; `upstreamComplete(.failure(.cancelled))` follows exactly once (now, or
    /// when called from inside a delegate callback, as soon as curl has unwound).
    public func cancel() {
        guard delegate != nil, !cancelled else { return }
        cancelled = true
        if inCallback { return }  // the write/header callback returns 0 and curl aborts
        if active {
            active = false
            client.remove(handle)
        }
        finish(.failure(UpstreamError(.cancelled, "cancelled")))
    }

    // MARK: callbacks from curl

    fileprivate func headerLine(_ line: UnsafeRawBufferPointer) -> Bool {
        if cancelled { return false }
        if line.starts(with: "HTTP/".utf8) {
            // A new response starts (after a 1xx, or the first one).
            status = 0
            if let space = line.firstIndex(of: 0x20), space + 3 < line.count {
                for digit in line[(space + 1)...(space + 3)] where digit >= 0x30 && digit <= 0x39 { status = status * 10 + Int(digit - 0x30) }
            }
            headers.removeAll(keepingCapacity: true)
            return true
        }
        if line.count <= 2 {  // the blank line ending a head
            if status >= 200 && !headDelivered {
                headDelivered = true
                timings.head = monotonicNanoseconds()
                inCallback = true
                delegate?.upstreamHead(status: status, headers: headers)
                inCallback = false
            }
            return !cancelled
        }
        // "Name: value\r\n": split and trim on bytes, so each header costs two small strings.
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return true }
        var start = colon + 1
        var end = line.count
        while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
        while end > start, line[end - 1] == 0x20 || line[end - 1] == 0x09 || line[end - 1] == 0x0D || line[end - 1] == 0x0A { end -= 1 }
        headers.append((String(decoding: line[..<colon], as: UTF8.self), String(decoding: line[start..<end], as: UTF8.self)))
        return true
    }

    fileprivate func bodyBytes(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if cancelled { return false }
        inCallback = true
        delegate?.upstreamBody(bytes)
        inCallback = false
        return !cancelled
    }

    // MARK: completion

    func result(for code: CURLcode) -> UpstreamResult {
        if cancelled { return .failure(UpstreamError(.cancelled, "cancelled")) }
        if code == CURLE_OK {
            return headDelivered ? .success : .failure(UpstreamError(.other, "upstream sent no response head"))
        }
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let kind: UpstreamError.Kind
        switch code {
        case CURLE_COULDNT_CONNECT: kind = .connect
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .resolve
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE: kind = .tls
        case CURLE_TOO_MANY_REDIRECTS: kind = .tooManyRedirects
        default: kind = .other
        }
        return .failure(UpstreamError(kind, detail))
    }

    func finish(_ result: UpstreamResult) {
        guard let delegate else { return }
        self.delegate = nil
        timings.completed = monotonicNanoseconds()
        if let headerList { curl_slist_free_all(headerList) }
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

private let writeCallback: sy_curl_data_cb = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    return transfer.bodyBytes(UnsafeRawBufferPointer(start: pointer, count: length)) ? length : 0
}
