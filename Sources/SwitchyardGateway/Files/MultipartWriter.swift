/// The `multipart/form-data` body of an upload the gateway sends to a provider: the form fields,
/// then one file part whose bytes come from elsewhere (`MultipartUploadBody` streams them), then
/// the closing delimiter. The boundary is 96 random bits, so no file's bytes can hold it by
/// chance.
///
/// Threading: immutable; any thread.
struct MultipartWriter {
    let boundary: String

    init(boundary: String = "switchyard-" + GatewayID.randomHex()) {
        self.boundary = boundary
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Everything before the file's bytes: each field as its own part, then the file part's head.
    func head(fields: [(name: String, value: String)], fileField: String = "file", filename: String, contentType: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(field.name))\"\r\n\r\n".utf8)
            bytes += Array(field.value.utf8)
            bytes += Array("\r\n".utf8)
        }
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(fileField))\"; filename=\"\(Self.quoted(filename))\"\r\n".utf8)
        bytes += Array("Content-Type: \(Self.headerSafe(contentType))\r\n\r\n".utf8)
        return bytes
    }

    /// Everything after the file's bytes.
    var tail: [UInt8] { Array("\r\n--\(boundary)--\r\n".utf8) }

    /// A parameter value inside quotes, the way browsers write one (WHATWG HTML's form
    /// encoding): `"`, CR and LF percent-escaped, so no value ends the quote or the line.
    static func quoted(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "%22"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A header value with no way to end its line early.
    private static func headerSafe(_ text: String) -> String {
        text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) ? "application/octet-stream" : text
    }
}
