/// Reading request options back in the response transformer, from the canonical request the
/// host lends every hook of a call (`sy_call_info.request`), without decoding it: one scan of
/// the top level, values compared as bytes.
extension CallInfo {
    /// The raw JSON of a top-level member of the request (borrowed like `request`), or nil.
    public func requestValue(_ key: String) -> UnsafeRawBufferPointer? {
        guard let scan = try? TopLevelScan(request), let range = scan.range(of: key) else { return nil }
        return UnsafeRawBufferPointer(rebasing: request[range])
    }

    /// Whether a top-level member is the JSON literal or string given as raw JSON, e.g.
    /// `requestValueIs("logprobs", "true")`, `requestValueIs("encoding_format", #""base64""#)`.
    public func requestValueIs(_ key: String, _ json: StaticString) -> Bool {
        guard let value = requestValue(key) else { return false }
        return value.elementsEqual(UnsafeRawBufferPointer(start: json.utf8Start, count: json.utf8CodeUnitCount))
    }

    /// `stream_options.include_usage: true`: the client wants a final usage chunk (docs/canonical.md).
    public var requestsUsageChunk: Bool {
        guard stream, let options = requestValue("stream_options"), let scan = try? TopLevelScan(options),
              let range = scan.range(of: "include_usage") else { return false }
        return options[range].elementsEqual("true".utf8)
    }
}
