import CCurl

extension UpstreamError.Kind {
    /// The kind of a failed easy transfer's result code.
    init(curl code: CURLcode) {
        switch code {
        case CURLE_COULDNT_CONNECT: self = .connect
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: self = .resolve
        case CURLE_OPERATION_TIMEDOUT: self = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_SSL_CLIENTCERT:
            self = .tls
        case CURLE_TOO_MANY_REDIRECTS: self = .tooManyRedirects
        default: self = .other
        }
    }
}

extension UpstreamError {
    /// An error for a curl result code, with curl's detailed message when it wrote one.
    init(curl code: CURLcode, detail: UnsafePointer<CChar>) {
        let text = detail.pointee != 0 ? String(cString: detail) : String(cString: curl_easy_strerror(code))
        self.init(Kind(curl: code), text)
    }

    static let cancelled = UpstreamError(.cancelled, "transfer cancelled")
}
