import SwitchyardPluginSDK

/// A whole (non-stream) chat completion: buffered, checked to be a JSON object, forwarded.
final class OpenAIWholeResponse: ResponseTransformer {
    private var body: [UInt8] = []

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        body.append(contentsOf: chunk)
    }

    func end(out: Sink) throws(PluginError) {
        let failure: PluginError? = body.withUnsafeBytes { raw in
            guard let scan = try? TopLevelScan(raw) else {
                return PluginError(SY_E_UPSTREAM, "upstream sent a response that is not a JSON object", httpStatus: 502, retryable: true)
            }
            out.json(raw)
            emitUsage(scan, raw, out)
            return nil
        }
        if let failure { throw failure }
    }
}

/// Server-sent events from the upstream: each `data:` payload is one chunk object, forwarded as
/// is (the host re-frames it); `[DONE]` is dropped because the host writes its own.
final class OpenAIStreamResponse: ResponseTransformer {
    private var parser = ServerSentEvents()
    /// False when the usage-only chunk was asked for by us, not the client: it becomes
    /// metadata only.
    private let forwardUsageChunk: Bool

    init(forwardUsageChunk: Bool) { self.forwardUsageChunk = forwardUsageChunk }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        try parser.feed(chunk) { (payload) throws(PluginError) in try forward(payload, out) }
    }

    func end(out: Sink) throws(PluginError) {
        guard parser.sawDone else {
            throw PluginError(SY_E_UPSTREAM, "upstream stream ended before [DONE]", httpStatus: 502, retryable: true)
        }
    }

    /// Most events are content deltas forwarded as they are; only an event that mentions
    /// `"error"` or `"usage"` is scanned (a chunk is not decoded just to be re-sent).
    private func forward(_ payload: UnsafeRawBufferPointer, _ out: Sink) throws(PluginError) {
        guard payload.first == UInt8(ascii: "{") else {
            throw PluginError(SY_E_UPSTREAM, "upstream sent an event that is not a JSON object", httpStatus: 502)
        }
        let mentionsError = contains(payload, Self.errorKey)
        let mentionsUsage = contains(payload, Self.usageKey)
        var scan: TopLevelScan?
        if mentionsError || mentionsUsage {
            do { scan = try TopLevelScan(payload) } catch {
                throw PluginError(SY_E_UPSTREAM, "upstream sent an event that is not a JSON object: \(error)", httpStatus: 502)
            }
        }
        if mentionsError, scan?.range(of: "error") != nil {
            out.error(Array(payload))
            throw PluginError(SY_E_UPSTREAM, "upstream reported an error mid-stream", httpStatus: 502)
        }
        if let scan, !forwardUsageChunk, Self.isUsageOnly(scan, payload) {
            emitUsage(scan, payload, out)
            return
        }
        guard out.json(payload) else { throw PluginError(SY_E_CANCELLED, "client went away") }
        if let scan { emitUsage(scan, payload, out) }
    }

    /// The final usage chunk: `"choices": []`.
    private static func isUsageOnly(_ scan: TopLevelScan, _ payload: UnsafeRawBufferPointer) -> Bool {
        guard let choices = scan.range(of: "choices") else { return true }
        let value = payload[choices].filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        return value.count == 2 && value[0] == UInt8(ascii: "[") && value[1] == UInt8(ascii: "]")
    }

    private static let errorKey = Array(#""error""#.utf8)
    private static let usageKey = Array(#""usage""#.utf8)
}

/// Emits `{"usage":...}` as metadata when the object carries a non-null usage.
func emitUsage(_ scan: TopLevelScan, _ raw: UnsafeRawBufferPointer, _ out: Sink) {
    guard let range = scan.range(of: "usage"), raw[range.lowerBound] == UInt8(ascii: "{") else { return }
    var json = JSONWriter(capacity: range.count + 12)
    json.raw(#"{"usage":"#)
    json.raw(UnsafeRawBufferPointer(rebasing: raw[range]))
    json.raw("}")
    out.meta(json.bytes)
}

/// A non-2xx upstream answer: kept OpenAI-shaped for the client, with status and retryability
/// for the router (429 and 5xx may succeed elsewhere).
final class UpstreamErrorResponse: ResponseTransformer {
    private let status: Int
    private var body: [UInt8] = []
    private static let keptBytes = 64 * 1024

    init(status: Int) { self.status = status }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        let room = Self.keptBytes - body.count
        if room > 0 { body.append(contentsOf: chunk.prefix(room)) }
    }

    func end(out: Sink) throws(PluginError) {
        let parsed = try? JSONValue.parse(body)
        let message: String
        if let error = parsed?["error"], error.objectValue != nil {
            message = error["message"]?.stringValue ?? "upstream error"
            out.error(body)
        } else {
            let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
            message = "upstream returned HTTP \(status)" + (excerpt.isEmpty ? "" : ": " + excerpt)
            let error: JSONValue = ["error": ["message": .string(message), "type": "upstream_error", "param": nil, "code": nil]]
            out.error(error.serialized())
        }
        throw PluginError(SY_E_UPSTREAM, message, httpStatus: UInt32(status), retryable: status == 429 || status >= 500)
    }
}

/// Whether `needle` occurs in `haystack` (memmem).
func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count, let first = needle.first else { return false }
    var index = 0
    let last = haystack.count - needle.count
    while index <= last {
        if haystack[index] == first {
            var matched = true
            for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                matched = false
                break
            }
            if matched { return true }
        }
        index += 1
    }
    return false
}
