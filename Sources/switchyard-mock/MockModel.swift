import SwitchyardHTTP
import SwitchyardJSON

/// `GET /v1/models/{id}` (also `/models/{id}`): OpenAI's model object for any id, so an SDK's
/// `models.retrieve(...)` has an answer (the passthrough tests use it as a GET with no body).
/// The id is percent-decoded, as OpenAI reads it; the delay and status knobs apply.
enum MockModel {
    static let prefixes = ["/v1/models/", "/models/"]

    /// The id in `path`, or nil when the path is not a model's (an empty id, or more segments).
    static func id(inPath path: String) -> String? {
        guard let prefix = prefixes.first(where: { path.hasPrefix($0) }) else { return nil }
        let raw = path.dropFirst(prefix.count)
        guard !raw.isEmpty, !raw.contains("/") else { return nil }
        return percentDecoded(raw)
    }

    static func object(id: String) -> [UInt8] {
        JSONValue.object(JSONObject([
            ("id", .string(id)), ("object", .string("model")), ("created", .number(1_700_000_000)), ("owned_by", .string("switchyard-mock")),
        ])).serialized()
    }

    /// %XX escapes decoded; a malformed escape is kept as written.
    private static func percentDecoded(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension MockResponder {
    func model(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let answer = MockModel.object(id: MockModel.id(inPath: request.path) ?? "")
        deliver(defaults.overridden(by: request.headers), writer, errors: .openAI) { [self] in json(writer, 200, answer) }
    }
}
