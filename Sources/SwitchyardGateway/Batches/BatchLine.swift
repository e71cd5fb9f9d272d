import SwitchyardCore
import SwitchyardJSON

/// One JSONL line of a batch input file as the gateway reads it:
/// `{"custom_id":..,"method":"POST","url":"/v1/chat/completions","body":{...,"model":..}}`.
/// Only what the gateway needs is decoded (the id, the route, where `body` is, its `model`); the
/// line's bytes stay as they are, so a rewritten body replaces exactly the body's bytes.
///
/// A line that names any key twice (at the top, or anywhere in its body) is refused: readers
/// disagree on which one counts (this one keeps the last, the batch preparers and the provider
/// plugins read the first, upstreams mostly the last), so what was checked and what is sent
/// could differ.
struct BatchLine {
    let bytes: [UInt8]
    let route: EndpointOperation
    /// The line's `url`, one of `routes`.
    let url: String
    /// Non-empty.
    let customID: String
    /// Where the `body` object is in `bytes`.
    let body: Range<Int>
    /// `body.model`, nil when absent or not a string.
    let model: String?

    /// The routes a batch line may name: the ones a provider's batch API runs and the
    /// gateway's guardrails can read.
    static let routes: [(path: String, operation: EndpointOperation)] = [
        ("/v1/chat/completions", .chatCompletions), ("/v1/embeddings", .embeddings),
    ]

    /// Reads `bytes`; the error's message is the client's, without the "line N: " the caller adds.
    init(_ bytes: [UInt8]) throws(BatchLineError) {
        var url: String?
        var method: String?
        var customID: String?
        var customIDIsString = true
        var body: Range<Int>?
        // The error is carried out of the closure (typed throws through withUnsafeBytes crash
        // the 6.3 compiler).
        let problem: JSONError? = bytes.withUnsafeBytes { raw in
            do throws(JSONError) {
                try JSONValidation.forEachMember(raw) { key, _, value in
                    if JSONValidation.key(key, is: "url") {
                        url = Self.string(raw, value)
                    } else if JSONValidation.key(key, is: "method") {
                        method = Self.string(raw, value) ?? ""
                    } else if JSONValidation.key(key, is: "custom_id") {
                        customID = Self.string(raw, value)
                        customIDIsString = customID != nil
                    } else if JSONValidation.key(key, is: "body"), raw[value.lowerBound] == UInt8(ascii: "{") {
                        body = value
                    }
                    return true
                }
                return nil
            } catch {
                return error
            }
        }
        if let problem { throw BatchLineError("is not a JSON object (\(problem))") }
        if let path = bytes.withUnsafeBytes({ JSONValue.firstDuplicateKey(in: $0) }) {
            let tokens = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            if tokens.count == 1 { throw BatchLineError("names '\(Self.unescaped(tokens.first!))' twice") }
            throw BatchLineError("names a key twice (at \(path)); a batch line must not repeat keys")
        }
        guard customIDIsString, let customID, !customID.isEmpty else {
            throw BatchLineError("has no custom_id (a non-empty string naming the request in the results)")
        }
        guard let method else { throw BatchLineError("has no method (\"POST\")") }
        guard method == "POST" else { throw BatchLineError("method '\(method)' is not supported in a batch (\"POST\" is)") }
        guard let url else { throw BatchLineError("has no url (a string such as \"/v1/chat/completions\")") }
        guard let route = Self.routes.first(where: { $0.path == url })?.operation else {
            throw BatchLineError("url '\(url)' is not supported in a batch (\(Self.routes.map(\.path).joined(separator: ", ")) are)")
        }
        guard let body else { throw BatchLineError("has no body object") }
        var model: String?
        bytes.withUnsafeBytes { raw in
            let object = UnsafeRawBufferPointer(rebasing: raw[body])
            try? JSONValidation.forEachMember(object) { key, _, value in
                guard JSONValidation.key(key, is: "model") else { return true }
                model = Self.string(object, value)
                return false
            }
        }
        self.bytes = bytes
        self.route = route
        self.url = url
        self.customID = customID
        self.body = body
        self.model = model
    }

    /// The line with `newBody` in place of its body, every other byte kept.
    func replacingBody(_ newBody: [UInt8]) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(bytes.count - body.count + newBody.count)
        line.append(contentsOf: bytes[..<body.lowerBound])
        for byte in newBody { line.append(byte == 0x0A || byte == 0x0D ? 0x20 : byte) }  // one JSONL line
        line.append(contentsOf: bytes[body.upperBound...])
        return line
    }

    /// A string value's text (escapes decoded), nil when the value is not a string.
    private static func string(_ raw: UnsafeRawBufferPointer, _ value: Range<Int>) -> String? {
        guard raw[value.lowerBound] == UInt8(ascii: "\"") else { return nil }
        return (try? JSONValue.parse(Array(raw[value])))?.stringValue
    }

    /// A JSON Pointer token as the key it names.
    private static func unescaped(_ token: Substring) -> String {
        String(token).replacing("~1", with: "/").replacing("~0", with: "~")
    }
}

struct BatchLineError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
