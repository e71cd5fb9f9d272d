/// Why a request was refused by the parser: the status to answer with, a stable code and a
/// message for the error body. The connection is closed after answering.
public struct HTTPParseError: Error, Equatable, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    /// The request target, when the error came after the request line was read (so the
    /// answer can take the route's error shape).
    public var target: String? = nil

    static func bad(_ message: String) -> HTTPParseError { HTTPParseError(status: 400, code: "malformed_request", message: message) }
}

/// How the request body is delimited.
enum BodyFraming: Equatable {
    case none
    case contentLength(Int)
    case chunked
}

/// A request head, validated.
struct ParsedHead {
    let method: String
    let target: String
    let version: String
    let headers: HTTPHeaders
    let framing: BodyFraming
    let keepAlive: Bool
    let expectsContinue: Bool
}

struct HeadLimits {
    var maxHeaderBytes: Int
    var maxHeaderCount: Int
    var maxBodyBytes: Int
}

/// Strict HTTP/1.1 request-head parsing (RFC 9110/9112). Ambiguities that enable request
/// smuggling are refused, never repaired: CR-less line ends, obs-fold, whitespace before a colon,
/// Content-Length together with Transfer-Encoding, repeated Content-Length, codings other than a
/// lone `chunked`.
enum RequestHeadParser {
    enum Result {
        case incomplete
        case complete(ParsedHead, consumed: Int)
        case failure(HTTPParseError)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, limits: HeadLimits) -> Result {
        // Leading blank lines before a request are allowed (RFC 9112 §2.2).
        var start = 0
        while start + 1 < bytes.count, bytes[start] == 13, bytes[start + 1] == 10 { start += 2 }
        // The limit counts from the first byte (blank lines too, or a client could make us buffer
        // them without bound) to the end of the last field line. Unterminated, refuse only once
        // no terminator could still end the head in time (up to 3 bytes of CRLFCRLF may be here
        // already), so the verdict does not depend on how the bytes were split into reads.
        guard let end = findHeadEnd(bytes, from: start, limit: limits.maxHeaderBytes) else {
            if bytes.count > limits.maxHeaderBytes + 3 {
                return .failure(HTTPParseError(status: 431, code: "headers_too_large", message: "Request header section is larger than \(limits.maxHeaderBytes) bytes."))
            }
            return .incomplete
        }
        if end > limits.maxHeaderBytes {
            return .failure(HTTPParseError(status: 431, code: "headers_too_large", message: "Request header section is larger than \(limits.maxHeaderBytes) bytes."))
        }
        do {
            let head = try parseHead(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), limits: limits)
            return .complete(head, consumed: end + 4)
        } catch {
            return .failure(error)
        }
    }

    /// Offset of the CRLFCRLF ending the head; a bare LF anywhere in the head is an error that
    /// surfaces in `parseHead` (we only look for the canonical terminator here).
    static func findHeadEnd(_ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int) -> Int? {
        guard bytes.count >= start + 4 else { return nil }
        var index = start
        let last = bytes.count - 4
        while index <= last {
            if bytes[index + 3] != 10 { index += bytes[index + 3] == 13 ? 1 : 4; continue }
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13 { return index }
            index += 1
        }
        return nil
    }

    static func parseHead(_ head: UnsafeRawBufferPointer, limits: HeadLimits) throws(HTTPParseError) -> ParsedHead {
        var lines = LineReader(head)
        guard let requestLine = try lines.next() else { throw .bad("Empty request line.") }
        let (method, target, version) = try parseRequestLine(requestLine)

        var headers = HTTPHeaders()
        var contentLengths: [String] = []
        var transferEncodings: [String] = []
        var hosts = 0
        var connectionTokens: [String] = []
        var expect: String?
        while let line = try lines.next() {
            guard headers.count < limits.maxHeaderCount else {
                throw HTTPParseError(status: 431, code: "headers_too_large", message: "More than \(limits.maxHeaderCount) header fields.")
            }
            let (name, value) = try parseField(line)
            headers.add(name, value)
            // Only a few fields shape framing and connection handling; compare without copying.
            switch name.utf8.count {
            case 4 where HTTPHeaders.equalIgnoringCase(name, "host"): hosts += 1
            case 6 where HTTPHeaders.equalIgnoringCase(name, "expect"): expect = value.lowercased()
            case 10 where HTTPHeaders.equalIgnoringCase(name, "connection"):
                connectionTokens += value.lowercased().split(separator: ",").map { $0.trimmingSpaces() }
            case 14 where HTTPHeaders.equalIgnoringCase(name, "content-length"): contentLengths.append(value)
            case 17 where HTTPHeaders.equalIgnoringCase(name, "transfer-encoding"): transferEncodings.append(value)
            default: break
            }
        }

        if version == "HTTP/1.1" && hosts == 0 { throw .bad("Missing Host header.") }
        if hosts > 1 { throw .bad("More than one Host header.") }

        let framing: BodyFraming
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty { throw .bad("Both Transfer-Encoding and Content-Length are present.") }
            if version == "HTTP/1.0" { throw .bad("Transfer-Encoding is not allowed in HTTP/1.0.") }
            let codings = transferEncodings.flatMap { $0.lowercased().split(separator: ",").map { $0.trimmingSpaces() } }
            guard codings == ["chunked"] else {
                throw HTTPParseError(status: 501, code: "unsupported_transfer_encoding", message: "Only Transfer-Encoding: chunked is supported.")
            }
            framing = .chunked
        } else if !contentLengths.isEmpty {
            if contentLengths.count > 1 { throw .bad("More than one Content-Length header.") }
            let text = contentLengths[0]
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(text) else {
                throw .bad("Invalid Content-Length.")
            }
            if length > limits.maxBodyBytes {
                throw HTTPParseError(status: 413, code: "body_too_large", message: "Request body of \(length) bytes is larger than the limit of \(limits.maxBodyBytes) bytes.", target: target)
            }
            framing = length == 0 ? .none : .contentLength(length)
        } else {
            framing = .none
        }

        var expectsContinue = false
        if let expect {
            guard expect == "100-continue" else {
                throw HTTPParseError(status: 417, code: "expectation_failed", message: "Unsupported Expect: \(expect).")
            }
            expectsContinue = version == "HTTP/1.1"
        }
        let keepAlive = version == "HTTP/1.1" ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")
        return ParsedHead(method: method, target: target, version: version, headers: headers, framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue)
    }

    static func parseRequestLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> (String, String, String) {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { throw .bad("Malformed request line.") }
        guard parts[0].allSatisfy(isTokenByte) else { throw .bad("Invalid method.") }
        guard parts[1].allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else { throw .bad("Invalid characters in the request target.") }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            if version.hasPrefix("HTTP/"), version.count == 8 {
                throw HTTPParseError(status: 505, code: "http_version_not_supported", message: "HTTP version \(version) is not supported.")
            }
            throw .bad("Malformed HTTP version.")
        }
        var target = String(decoding: parts[1], as: UTF8.self)
        if target.hasPrefix("http://") || target.hasPrefix("https://") {
            // absolute-form: keep the path (the Host header still names the authority).
            let afterScheme = target[target.index(target.firstIndex(of: "/")!, offsetBy: 2)...]
            target = afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/"
        } else if !target.hasPrefix("/") && target != "*" {
            throw .bad("The request target must be an absolute path.")
        }
        return (String(decoding: parts[0], as: UTF8.self), target, version)
    }

    static func parseField(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> (String, String) {
        guard let first = line.first else { throw .bad("Empty header line.") }
        if first == 0x20 || first == 0x09 { throw .bad("Obsolete line folding is not allowed.") }
        guard let colon = line.firstIndex(of: 0x3A), colon > 0 else { throw .bad("Header field without a name.") }
        let name = line[..<colon]
        guard name.allSatisfy(isTokenByte) else { throw .bad("Invalid header field name.") }
        var valueStart = colon + 1
        var valueEnd = line.count
        while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        let value = line[valueStart..<valueEnd]
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else { throw .bad("Invalid characters in a header value.") }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// tchar (RFC 9110 §5.6.2).
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }
}

/// Splits a head into CRLF-terminated lines; a bare CR or LF is an error.
struct LineReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func next() throws(HTTPParseError) -> UnsafeRawBufferPointer? {
        guard offset < bytes.count else { return nil }
        var index = offset
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 10 { throw .bad("Bare LF in the request head.") }
            if byte == 13 {
                guard index + 1 < bytes.count, bytes[index + 1] == 10 else { throw .bad("Bare CR in the request head.") }
                let line = UnsafeRawBufferPointer(rebasing: bytes[offset..<index])
                offset = index + 2
                return line
            }
            index += 1
        }
        let line = UnsafeRawBufferPointer(rebasing: bytes[offset..<bytes.count])
        offset = bytes.count
        return line
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (header values, list items).
    public func trimmingSpaces() -> String {
        var view = self[...]
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
