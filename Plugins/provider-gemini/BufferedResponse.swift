import SwitchyardPluginSDK

/// A whole (non-stream) Gemini answer: buffered until the end, parsed once, then handed to
/// `finish`, which writes the canonical response.
final class BufferedResponse: ResponseTransformer {
    typealias Finish = (JSONValue, Sink) throws(PluginError) -> Void
    private var body: [UInt8] = []
    private let finish: Finish

    init(_ finish: @escaping Finish) { self.finish = finish }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        body.append(contentsOf: chunk)
    }

    func end(out: Sink) throws(PluginError) {
        guard let response = try? JSONValue.parse(body), response.objectValue != nil else {
            throw PluginError(SY_E_UPSTREAM, "gemini sent a response that is not a JSON object", httpStatus: 502, retryable: true)
        }
        try finish(response, out)
    }
}
