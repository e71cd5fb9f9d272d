import SwitchyardPosix

/// Builds a response head into a buffer reused for every response on a loop.
struct ResponseHead {
    /// The header that delimits the body.
    enum Framing {
        case contentLength(Int)
        case chunked
        /// Neither: a status that never has a body (1xx, 204), or a 304 whose length is unknown.
        case none
    }

    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }

    private init(empty: Void) {}

    /// A placeholder that owns no storage, for swapping the loop's buffer out and back.
    static var empty: ResponseHead { ResponseHead(empty: ()) }

    mutating func build(status: Int, headers: HTTPHeaders, requestID: String, framing: Framing, keepAlive: Bool, date: [UInt8]) {
        bytes.removeAll(keepingCapacity: true)
        append("HTTP/1.1 ")
        append(String(status))
        bytes.append(0x20)
        append(HTTPStatus.reason(status))
        append("\r\n")
        for (name, value) in headers.pairs {
            append(name)
            append(": ")
            append(value)
            append("\r\n")
        }
        switch framing {
        case .contentLength(let length):
            append("Content-Length: ")
            append(String(length))
            append("\r\n")
        case .chunked:
            append("Transfer-Encoding: chunked\r\n")
        case .none:
            break
        }
        append("X-Request-ID: ")
        append(requestID)
        append("\r\nDate: ")
        bytes.append(contentsOf: date)
        append(keepAlive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n")
    }

    private mutating func append(_ text: String) {
        bytes.appendUTF8(text)
    }
}

enum HTTPStatus {
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 416: "Range Not Satisfiable"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 499: "Client Closed Request"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}
