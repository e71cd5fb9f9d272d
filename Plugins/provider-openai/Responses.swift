import SwitchyardPluginSDK

/// A whole (non-stream) chat completion: buffered, checked to be a JSON object, forwarded.
final class OpenAIWholeResponse: ResponseTransformer {
    private var body: [UInt8] = []

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        body.append(contentsOf: chunk)
    }

    func end(out: Sink) throws(PluginError) {
        let failure: PluginError? = body.withUnsafeBytes { raw in
            // One validating pass that also finds `usage` (no tree, no allocation).
            guard let members = TopMembers(raw, "usage") else {
                return PluginError(SY_E_UPSTREAM, "upstream sent a response that is not a JSON object", httpStatus: 502, retryable: true)
            }
            out.json(raw)
            emitUsage(members[0], raw, out)
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

    /// Each event is read once, validating (a broken event ends the stream with an error instead
    /// of reaching the client) and noting its `error`, `usage` and `choices` members; the event
    /// itself is forwarded as it came.
    private func forward(_ payload: UnsafeRawBufferPointer, _ out: Sink) throws(PluginError) {
        guard let members = TopMembers(payload, "error", "usage", "choices") else {
            let reason = JSONValidation.objectError(payload).map { ": \($0)" } ?? ""
            throw PluginError(SY_E_UPSTREAM, "upstream sent an event that is not a JSON object\(reason)", httpStatus: 502)
        }
        if members[0] != nil {
            out.error(Array(payload))
            throw PluginError(SY_E_UPSTREAM, "upstream reported an error mid-stream", httpStatus: 502)
        }
        if !forwardUsageChunk, members[1] != nil, Self.isUsageOnly(members[2], payload) {
            emitUsage(members[1], payload, out)
            return
        }
        guard out.json(payload) else { throw PluginError(SY_E_CANCELLED, "client went away") }
        emitUsage(members[1], payload, out)
    }

    /// The final usage chunk: `"choices": []`.
    private static func isUsageOnly(_ choices: Range<Int>?, _ payload: UnsafeRawBufferPointer) -> Bool {
        guard let choices else { return true }
        let value = payload[choices].filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        return value.count == 2 && value[0] == UInt8(ascii: "[") && value[1] == UInt8(ascii: "]")
    }
}

/// The value ranges of the first top-level members named `first`, `second`, `third` (nil where
/// absent), found in one validating pass; nil when `raw` is not one JSON object. Keys are matched
/// as written (the upstreams we read never escape these names).
struct TopMembers {
    private(set) var ranges: (Range<Int>?, Range<Int>?, Range<Int>?) = (nil, nil, nil)

    init?(_ raw: UnsafeRawBufferPointer, _ first: StaticString, _ second: StaticString = "", _ third: StaticString = "") {
        func named(_ key: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
            name.utf8CodeUnitCount > 0 && JSONValidation.key(key, is: name)
        }
        var found = ranges
        do {
            try JSONValidation.forEachMember(raw) { key, _, value in
                if found.0 == nil, named(key, first) { found.0 = value }
                else if found.1 == nil, named(key, second) { found.1 = value }
                else if found.2 == nil, named(key, third) { found.2 = value }
                return true
            }
        } catch {
            return nil
        }
        ranges = found
    }

    subscript(_ index: Int) -> Range<Int>? {
        switch index {
        case 0: ranges.0
        case 1: ranges.1
        default: ranges.2
        }
    }
}

/// Emits `{"usage":...}` as metadata when the object carries a non-null usage.
func emitUsage(_ range: Range<Int>?, _ raw: UnsafeRawBufferPointer, _ out: Sink) {
    guard let range, raw[range.lowerBound] == UInt8(ascii: "{") else { return }
    var json = JSONWriter(capacity: range.count + 12)
    json.raw(#"{"usage":"#)
    json.raw(UnsafeRawBufferPointer(rebasing: raw[range]))
    json.raw("}")
    out.meta(json.bytes)
}
