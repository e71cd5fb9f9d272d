/// libFuzzer target for the HTTP/1.1 request-head parser and the chunked decoder.
///
/// Not a SwiftPM target: scripts/fuzz.sh compiles this file together with the parser's own
/// sources (Sources/SwitchyardHTTP/Parser/*.swift, HTTPHeaders.swift) into one module with
/// `swiftc -sanitize=fuzzer,address`, so it sees their internal types unchanged
/// (docs/decisions/0009-libfuzzer-outside-swiftpm.md).
///
/// Each input is read the way `Connection` reads a socket: request heads, then the body its
/// framing names (Content-Length or chunked), then the next pipelined request. Every step is
/// checked twice — the whole input at once, and split into pieces at input-derived points and
/// accumulated as a connection's buffer would be — and the two must agree. The decoder also
/// gets the raw input, so chunked bodies are fuzzed without a head in front. An invariant that
/// does not hold prints what broke and aborts, which libFuzzer records as a crash.
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    for limits in FuzzLimits.all {
        var splitter = Splitter(seed: fnv1a(input) ^ UInt64(limits.head.maxHeaderBytes))
        checkPipeline(input, limits, &splitter)
        _ = checkChunked(input[...], limits, &splitter)
    }
    return 0
}

/// Small limits make every boundary reachable by a short input; the server's defaults check
/// the configuration that ships.
struct FuzzLimits {
    let head: HeadLimits
    var maxTrailerBytes: Int { head.maxHeaderBytes }  // as Connection configures its decoder

    static let all = [
        FuzzLimits(head: HeadLimits(maxHeaderBytes: 200, maxHeaderCount: 6, maxBodyBytes: 64)),
        FuzzLimits(head: HeadLimits(maxHeaderBytes: 64 * 1024, maxHeaderCount: 100, maxBodyBytes: 32 * 1024 * 1024)),
    ]
}

// MARK: request heads

/// A parse result reduced to what must not depend on how the bytes arrived.
enum HeadOutcome: Equatable {
    case incomplete
    case failure(status: Int, code: String)
    case complete(HeadSummary, consumed: Int)

    init(_ result: RequestHeadParser.Result) {
        switch result {
        case .incomplete: self = .incomplete
        case .failure(let error): self = .failure(status: error.status, code: error.code)
        case .complete(let head, let consumed): self = .complete(HeadSummary(head), consumed: consumed)
        }
    }
}

struct HeadSummary: Equatable {
    let method, target, version: String
    let headers: [String]
    let framing: BodyFraming
    let keepAlive, expectsContinue: Bool

    init(_ head: ParsedHead) {
        (method, target, version) = (head.method, head.target, head.version)
        headers = head.headers.map { $0.name + "\u{0}" + $0.value }
        (framing, keepAlive, expectsContinue) = (head.framing, head.keepAlive, head.expectsContinue)
    }
}

func parseHead(_ bytes: ArraySlice<UInt8>, _ limits: FuzzLimits) -> HeadOutcome {
    HeadOutcome(bytes.withUnsafeBytes { RequestHeadParser.parse($0, limits: limits.head) })
}

/// Requests one after another, as a keep-alive connection reads them.
func checkPipeline(_ input: [UInt8], _ limits: FuzzLimits, _ splitter: inout Splitter) {
    var offset = 0
    for _ in 0..<8 where offset < input.count {
        let rest = input[offset...]
        guard case .complete(let head, let consumed) = checkHead(rest, limits, &splitter) else { return }
        offset += consumed
        switch head.framing {
        case .none:
            continue
        case .contentLength(let length):
            guard input.count - offset >= length else { return }
            offset += length
        case .chunked:
            guard case .done(let consumed, _) = checkChunked(input[offset...], limits, &splitter) else { return }
            offset += consumed
        }
    }
}

func checkHead(_ bytes: ArraySlice<UInt8>, _ limits: FuzzLimits, _ splitter: inout Splitter) -> HeadOutcome {
    let whole = parseHead(bytes, limits)
    check(whole == parseHead(bytes, limits), "parsing the same bytes twice gave different results", bytes)

    switch whole {
    case .incomplete:
        // The server buffers an incomplete head; the limit must bound that buffer.
        check(bytes.count <= limits.head.maxHeaderBytes + 3, "incomplete after \(bytes.count) bytes, beyond maxHeaderBytes \(limits.head.maxHeaderBytes) + a partial CRLFCRLF", bytes)
    case .failure:
        break
    case .complete(let head, let consumed):
        check(consumed >= 4 && consumed <= bytes.count, "consumed \(consumed) of \(bytes.count) bytes", bytes)
        let start = bytes.startIndex
        // The head alone parses the same; every shorter prefix is only incomplete, never refused.
        check(parseHead(bytes[start..<(start + consumed)], limits) == whole, "the head alone parses differently", bytes)
        for cut in max(0, consumed - 4)..<consumed {
            let prefix = parseHead(bytes[start..<(start + cut)], limits)
            check(prefix == .incomplete, "a \(cut)-byte prefix of a complete \(consumed)-byte head gave \(prefix)", bytes)
        }
        checkHeadFields(head, limits, bytes)
    }

    // As a connection reads it: append a piece, parse the whole buffer, until it is not incomplete.
    var end = bytes.startIndex
    var incremental = HeadOutcome.incomplete
    while end < bytes.endIndex, incremental == .incomplete {
        end = min(bytes.endIndex, end + splitter.nextPiece(bytes.count))
        incremental = parseHead(bytes[bytes.startIndex..<end], limits)
    }
    check(incremental == whole, "fed in pieces: \(incremental), at once: \(whole)", bytes)
    return whole
}

/// What a complete head promises the code after the parser.
func checkHeadFields(_ head: HeadSummary, _ limits: FuzzLimits, _ bytes: ArraySlice<UInt8>) {
    check(!head.method.isEmpty, "empty method", bytes)
    check(head.target.hasPrefix("/") || head.target == "*", "target \(head.target) is not origin-form", bytes)
    check(head.version == "HTTP/1.1" || head.version == "HTTP/1.0", "version \(head.version)", bytes)
    check(head.headers.count <= limits.head.maxHeaderCount, "\(head.headers.count) header fields", bytes)
    let names = head.headers.map { String($0.prefix { $0 != "\u{0}" }).lowercased() }
    switch head.framing {
    case .none:
        check(!names.contains("transfer-encoding"), "Transfer-Encoding without chunked framing", bytes)
    case .contentLength(let length):
        check(length > 0 && length <= limits.head.maxBodyBytes, "Content-Length \(length)", bytes)
        check(names.filter { $0 == "content-length" }.count == 1 && !names.contains("transfer-encoding"), "ambiguous length", bytes)
    case .chunked:
        check(head.version == "HTTP/1.1" && !names.contains("content-length"), "chunked with \(head.version) or Content-Length", bytes)
    }
    if head.version == "HTTP/1.1" { check(names.filter { $0 == "host" }.count == 1, "HTTP/1.1 without exactly one Host", bytes) }
}

// MARK: chunked bodies

enum ChunkedOutcome: Equatable {
    case needMore(consumed: Int, body: [UInt8])
    case done(consumed: Int, body: [UInt8])
    case failure(status: Int, code: String)
}

/// The decoder over `bytes` at once and in pieces; both must agree, and neither may buffer or
/// produce more than the limits allow.
func checkChunked(_ bytes: ArraySlice<UInt8>, _ limits: FuzzLimits, _ splitter: inout Splitter) -> ChunkedOutcome {
    let whole = decode(bytes, pieces: [bytes.count], limits)
    // Mixed pieces, and small ones only (a large piece can jump over a boundary).
    for fine in [false, true] {
        var pieces: [Int] = []
        var total = 0
        while total < bytes.count {
            pieces.append(min(splitter.nextPiece(bytes.count, fine: fine), bytes.count - total))
            total += pieces[pieces.count - 1]
        }
        let incremental = decode(bytes, pieces: pieces, limits)
        check(incremental == whole, "chunked fed in \(pieces.count) pieces: \(incremental), at once: \(whole)", bytes)
    }
    return whole
}

/// Feeds `bytes` in `pieces` the way Connection does: append to a buffer, feed the buffer,
/// drop what the decoder consumed.
func decode(_ bytes: ArraySlice<UInt8>, pieces: [Int], _ limits: FuzzLimits) -> ChunkedOutcome {
    var decoder = ChunkedDecoder(maxBodyBytes: limits.head.maxBodyBytes, maxTrailerBytes: limits.maxTrailerBytes)
    let lineBound = max(ChunkedDecoder.maximumLineBytes, limits.maxTrailerBytes) + 1
    var buffer: [UInt8] = []
    var body: [UInt8] = []
    var read = bytes.startIndex
    var consumed = 0
    for piece in pieces {
        buffer += bytes[read..<(read + piece)]
        read += piece
        let progress = buffer.withUnsafeBytes { decoder.feed($0, into: &body) }
        check(body.count <= limits.head.maxBodyBytes, "decoded \(body.count) body bytes, limit \(limits.head.maxBodyBytes)", bytes)
        switch progress {
        case .needMore(let count):
            check(count >= 0 && count <= buffer.count, "needMore consumed \(count) of \(buffer.count)", bytes)
            check(decoder.state != .done, "needMore in state done", bytes)
            buffer.removeFirst(count)
            consumed += count
            check(buffer.count <= lineBound, "\(buffer.count) bytes left buffered, more than a line or trailer section", bytes)
        case .done(let count):
            check(count >= 0 && count <= buffer.count, "done consumed \(count) of \(buffer.count)", bytes)
            check(decoder.state == .done, "done in state \(decoder.state)", bytes)
            let again = buffer.withUnsafeBytes { decoder.feed($0, into: &body) }
            check(again == .done(consumed: 0), "feeding a finished decoder gave \(again)", bytes)
            return .done(consumed: consumed + count, body: body)
        case .failure(let error):
            return .failure(status: error.status, code: error.code)
        }
    }
    return .needMore(consumed: consumed, body: body)
}

// MARK: support

/// Input-derived piece sizes: one byte at a time, small pieces, or (unless `fine`) large ones.
struct Splitter {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextPiece(_ total: Int, fine: Bool = false) -> Int {
        let roll = next()
        switch roll % 8 {
        case 0, 1: return total <= 512 ? 1 : 1 + Int((roll >> 8) % 4)
        case _ where fine: return 1 + Int((roll >> 8) % 16)
        case 2, 3, 4: return 1 + Int((roll >> 8) % 16)
        default: return 1 + Int((roll >> 8) % UInt64(max(total, 1)))
        }
    }
}

func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}

/// Prints what broke and the input's printable form, then aborts (libFuzzer saves the input).
func check(_ condition: Bool, _ message: @autoclosure () -> String, _ bytes: ArraySlice<UInt8>) {
    if condition { return }
    let shown = bytes.prefix(512).map { byte -> String in
        switch byte {
        case 13: "\\r"
        case 10: "\\n"
        case 0x20...0x7E: String(UnicodeScalar(byte))
        default: "\\x" + String(byte, radix: 16)
        }
    }.joined()
    fputs("HTTPParserFuzz invariant broken: \(message())\n  input (\(bytes.count) bytes): \(shown)\n", stderr)
    abort()
}
