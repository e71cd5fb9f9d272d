import CCurl

/// Sets every option of one transfer on a (fresh or reset) easy handle.
///
/// Threading: the client's loop, before the handle joins the multi.
struct EasyHandleOptions {
    let handle: UnsafeMutableRawPointer

    /// Applies `request`; returns a message when curl refuses it (the transfer then fails).
    /// `body` must stay valid until the transfer ends: curl sends straight from it.
    func apply(_ request: UpstreamRequest, body: UnsafeMutableRawBufferPointer?, headerList: inout UnsafeMutablePointer<curl_slist>?) -> String? {
        guard setString(CURLOPT_URL, request.url) else { return "invalid upstream URL \(request.url)" }
        setLong(CURLOPT_NOSIGNAL, 1)  // no SIGALRM on a multi-threaded host
        setLong(CURLOPT_TCP_NODELAY, 1)
        setLong(CURLOPT_FOLLOWLOCATION, 0)  // a provider's redirect is its answer, not ours to chase
        setLong(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)  // a proxy's CONNECT reply is not the response head
        setLong(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS)  // h2 over TLS when offered, else 1.1
        if request.connectTimeout > 0 { setLong(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)) }
        // With a streamed body the transfer's own watchdog keeps the total, less the time spent
        // waiting for the source (curl would count it).
        if request.totalTimeout > 0, !request.streamsBody { setLong(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.totalTimeout)) }

        switch request.method {
        case "HEAD": setLong(CURLOPT_NOBODY, 1)
        case _ where request.streamsBody:
            // The body comes from CURLOPT_READFUNCTION (set by the transfer); -1: chunked.
            setLong(CURLOPT_POST, 1)
            if request.method != "POST" { guard setString(CURLOPT_CUSTOMREQUEST, request.method) else { return "invalid method \(request.method)" } }
            sy_curl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.bodySource?.length ?? -1))
        case "GET": setLong(CURLOPT_HTTPGET, 1)
        default:
            if request.method != "POST" { guard setString(CURLOPT_CUSTOMREQUEST, request.method) else { return "invalid method \(request.method)" } }
            sy_curl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            sy_curl_easy_setopt_ptr(handle, CURLOPT_POSTFIELDS, body?.baseAddress)
        }

        var sawAccept = false
        var sawContentType = false
        var sawExpect = false
        for (name, value) in request.headers {
            switch name.lowercased() {
            case "accept": sawAccept = true
            case "content-type": sawContentType = true
            case "expect": sawExpect = true
            default: break
            }
            // "Name:" alone would tell curl to drop the header; "Name;" sends it with no value.
            headerList = curl_slist_append(headerList, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // A lone "Name:" removes a header curl would add by itself.
        if !sawAccept { headerList = curl_slist_append(headerList, "Accept:") }
        if !sawExpect { headerList = curl_slist_append(headerList, "Expect:") }
        if !sawContentType { headerList = curl_slist_append(headerList, "Content-Type:") }
        sy_curl_easy_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList)
        return nil
    }

    @discardableResult
    private func setLong(_ option: CURLoption, _ value: Int) -> Bool {
        sy_curl_easy_setopt_long(handle, option, value) == CURLE_OK
    }

    private func setString(_ option: CURLoption, _ value: String) -> Bool {
        sy_curl_easy_setopt_str(handle, option, value) == CURLE_OK
    }

    /// Nanoseconds to curl's milliseconds, rounded up so a tiny timeout never becomes "none".
    static func milliseconds(_ nanoseconds: UInt64) -> Int {
        Int(min((nanoseconds + 999_999) / 1_000_000, UInt64(Int32.max)))
    }
}
