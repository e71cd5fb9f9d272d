import CCurl

extension UpstreamError.Kind {
    /// The kind of a failed easy transfer's result code. CURLE_OPERATION_TIMEDOUT reads as the
    /// total timeout here; `UpstreamTransfer` tells a connect timeout apart (it knows whether the
    /// connection was ever made).
    init(curl code: CURLcode) {
        switch code {
        case CURLE_COULDNT_CONNECT: self = .connect
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: self = .resolve
        case CURLE_OPERATION_TIMEDOUT: self = .totalTimeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_SSL_CLIENTCERT:
            self = .tls
        // Reset while sending or receiving, closed with the body incomplete, closed before any
        // response, an HTTP/2 stream reset: the connection was made and then broke.
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2_STREAM:
            self = .closed
        case CURLE_TOO_MANY_REDIRECTS: self = .tooManyRedirects
        default: self = .other
        }
    }
}

extension UpstreamError {
    /// An error for a curl result code, with curl's detailed message when it wrote one.
    init(curl code: CURLcode, detail: UnsafePointer<CChar>, osErrno: Int32 = 0) {
        self.init(Kind(curl: code), Self.text(curl: code, detail: detail), reason: Self.reason(errno: osErrno) ?? Self.reason(curl: code))
    }

    /// A few words for a curl result code, with no address: curl's own texts name the host.
    static func reason(curl code: CURLcode) -> String? {
        switch code {
        case CURLE_COULDNT_CONNECT: "could not connect"
        case CURLE_COULDNT_RESOLVE_HOST: "host name not resolved"
        case CURLE_COULDNT_RESOLVE_PROXY: "proxy name not resolved"
        case CURLE_PEER_FAILED_VERIFICATION: "certificate not trusted"
        case CURLE_SSL_CONNECT_ERROR: "TLS handshake failed"
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH: "pinned public key mismatch"
        case CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CLIENTCERT:
            "TLS error"
        case CURLE_SEND_ERROR: "send failed"
        case CURLE_RECV_ERROR: "receive failed"
        case CURLE_GOT_NOTHING: "empty reply"
        case CURLE_PARTIAL_FILE: "response cut short"
        case CURLE_HTTP2_STREAM: "HTTP/2 stream reset"
        case CURLE_TOO_MANY_REDIRECTS: "too many redirects"
        case CURLE_WEIRD_SERVER_REPLY: "malformed response"
        case CURLE_UNSUPPORTED_PROTOCOL: "unsupported protocol"
        case CURLE_URL_MALFORMAT: "malformed URL"
        default: nil
        }
    }

    /// curl's detailed message when it wrote one, else the code's generic text.
    static func text(curl code: CURLcode, detail: UnsafePointer<CChar>) -> String {
        detail.pointee != 0 ? String(cString: detail) : String(cString: curl_easy_strerror(code))
    }

    static let cancelled = UpstreamError(.cancelled, "transfer cancelled")
}
