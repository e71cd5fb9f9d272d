import Synchronization
import SwitchyardHTTP
import SwitchyardJSON

/// The last requests the mock saw (every route but `/_mock/*`), so tests can assert what a gateway
/// sent upstream: method, path and full target, model, `authorization`, every header (in order, as
/// sent, and by lower-case name), body size, and the body itself when it is at most
/// `maxBodyBytes`: as JSON (what a guardrail or translation changed) and as exact bytes in base64
/// (what passthrough forwarded, byte for byte, whatever the bytes).
///
/// Recording keeps references (the request's strings, headers and body are shared, not copied) and
/// builds no JSON: the benchmark's upstream journals every request. The JSON is written when a test
/// asks for it.
///
/// Threading: shared by every loop of the server; a mutex guards a fixed-capacity ring.
final class MockJournal: Sendable {
    static let capacity = 256
    /// Larger bodies are journaled by size only: 256 of them stay a few MiB at most.
    static let maxBodyBytes = 64 * 1024
    private let ring = Mutex(Ring())

    /// One request as it arrived.
    private struct Entry: Sendable {
        let method: String
        let path: String
        let target: String
        let headers: HTTPHeaders
        let model: String?
        let bodyCount: Int
        /// nil when the body is larger than `maxBodyBytes`.
        let body: [UInt8]?
        let parsedBody: JSONValue?
        let requestID: String
    }

    private struct Ring {
        var entries: [Entry] = []
        var next = 0  // where the next entry goes once the ring is full

        mutating func append(_ entry: Entry) {
            if entries.count < MockJournal.capacity {
                entries.append(entry)
            } else {
                entries[next] = entry
                next = (next + 1) % MockJournal.capacity
            }
        }

        var oldestFirst: [Entry] { Array(entries[next...] + entries[..<next]) }
    }

    /// `body` is the request body already parsed by the responder (nil when it is not JSON); the
    /// entry shares it, so journaling costs no second parse. `bodyBytes` counts a body that was
    /// streamed (a file upload) rather than held: such a body is counted, never kept.
    func record(_ request: HTTPRequest, model: String?, body: JSONValue?, bodyBytes: Int? = nil) {
        let small = bodyBytes == nil && request.body.count <= Self.maxBodyBytes
        let entry = Entry(
            method: request.method, path: request.path, target: request.target, headers: request.headers, model: model,
            bodyCount: bodyBytes ?? request.body.count, body: small ? request.body : nil, parsedBody: small ? body : nil, requestID: request.requestID)
        ring.withLock { $0.append(entry) }
    }

    /// The entries, oldest first, as a JSON array.
    func snapshot() -> [UInt8] {
        let entries = ring.withLock { $0.oldestFirst }
        return JSONValue.array(entries.map(Self.json)).serialized()
    }

    func clear() {
        ring.withLock { $0 = Ring() }
    }

    private static func json(_ entry: Entry) -> JSONValue {
        var byName = JSONObject()
        var inOrder: [JSONValue] = []
        for (name, value) in entry.headers.pairs {
            byName[name.lowercased()] = .string(value)
            inOrder.append(.array([.string(name), .string(value)]))
        }
        var object = JSONObject()
        object["method"] = .string(entry.method)
        object["path"] = .string(entry.path)
        object["target"] = .string(entry.target)
        object["model"] = entry.model.map { .string($0) } ?? .null
        object["authorization"] = entry.headers["authorization"].map { .string($0) } ?? .null
        object["x_team"] = entry.headers["x-team"].map { .string($0) } ?? .null
        object["headers"] = .object(byName)
        object["header_list"] = .array(inOrder)
        object["body_bytes"] = .number(entry.bodyCount)
        object["body"] = entry.parsedBody ?? .null
        object["body_base64"] = entry.body.map { .string(Base64.encode($0)) } ?? .null
        object["request_id"] = .string(entry.requestID)
        return .object(object)
    }
}
