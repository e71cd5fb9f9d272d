import SwitchyardCore
import SwitchyardJSON

/// The few fields of a request the planner needs, read from the raw body without building it
/// (the body is forwarded as is). The whole body is still validated as JSON and UTF-8.
struct RequestHead {
    let model: String
    let modelRange: Range<Int>
    let stream: Bool
    let scan: TopLevelScan

    /// Any JSON request with a `model` and an optional boolean `stream`.
    init(json body: UnsafeRawBufferPointer) throws(GatewayError) {
        do { scan = try TopLevelScan(body) } catch {
            if error.message.hasPrefix("invalid UTF-8") {
                throw GatewayError.invalidRequest("The request body is not valid UTF-8 (\(error)).", code: "invalid_utf8")
            }
            throw GatewayError.invalidRequest("We could not parse the JSON body of your request (\(error)).", code: "invalid_json")
        }
        guard let modelRange = scan.range(of: "model") else {
            throw GatewayError.invalidRequest("Missing required parameter: 'model'.", code: "missing_required_parameter", param: "model")
        }
        var reader = JSONReader(UnsafeRawBufferPointer(rebasing: body[modelRange]))
        guard let value = try? reader.readValue(), let model = value.stringValue, !model.isEmpty else {
            throw GatewayError.invalidRequest("Invalid type for 'model': expected a non-empty string.", code: "invalid_type", param: "model")
        }
        var stream = false
        if let range = scan.range(of: "stream") {
            switch body[range.lowerBound] {
            case UInt8(ascii: "t"): stream = true
            case UInt8(ascii: "f"), UInt8(ascii: "n"): stream = false
            default: throw GatewayError.invalidRequest("Invalid type for 'stream': expected a boolean.", code: "invalid_type", param: "stream")
            }
        }
        self.model = model
        self.modelRange = modelRange
        self.stream = stream
    }

    /// A chat completions request: also `messages` (an array) and `stream_options` only with `stream`.
    init(chatCompletion body: UnsafeRawBufferPointer) throws(GatewayError) {
        try self.init(json: body)
        guard let messages = scan.range(of: "messages") else {
            throw GatewayError.invalidRequest("Missing required parameter: 'messages'.", code: "missing_required_parameter", param: "messages")
        }
        guard body[messages.lowerBound] == UInt8(ascii: "[") else {
            throw GatewayError.invalidRequest("Invalid type for 'messages': expected an array.", code: "invalid_type", param: "messages")
        }
        if let range = scan.range(of: "stream_options"), body[range.lowerBound] != UInt8(ascii: "n"), !stream {
            throw GatewayError.invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", code: "invalid_value", param: "stream_options")
        }
    }
}

/// The body with its `model` value replaced, or nil when the upstream model is the one named.
func bodyWithModel(_ body: [UInt8], range: Range<Int>, requested: String, upstream: String) -> [UInt8]? {
    guard upstream != requested else { return nil }
    var json = JSONWriter(capacity: body.count + upstream.utf8.count)
    body.withUnsafeBytes { raw in
        json.raw(UnsafeRawBufferPointer(rebasing: raw[..<range.lowerBound]))
        json.string(upstream)
        json.raw(UnsafeRawBufferPointer(rebasing: raw[range.upperBound...]))
    }
    return json.bytes
}

extension RequestHead {
    /// `init(json:)` over an array (`withUnsafeBytes` does not carry typed throws).
    init(jsonBody body: [UInt8]) throws(GatewayError) {
        self = try Self.reading(body) { raw throws(GatewayError) in try RequestHead(json: raw) }
    }

    /// `init(chatCompletion:)` over an array.
    init(chatCompletionBody body: [UInt8]) throws(GatewayError) {
        self = try Self.reading(body) { raw throws(GatewayError) in try RequestHead(chatCompletion: raw) }
    }

    private static func reading(_ body: [UInt8], _ parse: (UnsafeRawBufferPointer) throws(GatewayError) -> RequestHead) throws(GatewayError) -> RequestHead {
        do {
            return try body.withUnsafeBytes { raw in try parse(raw) }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError.internalError("\(error)")
        }
    }
}
