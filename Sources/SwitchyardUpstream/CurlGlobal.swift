import CCurl

/// curl_global_init must run once per process before any other libcurl call, and is not
/// thread-safe itself: a Swift global initializer runs exactly once, under a lock.
enum CurlGlobal {
    static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()
}
