import Synchronization
import SwitchyardHTTP
import SwitchyardJSON

/// The last requests the mock saw (every route but `/_mock/*`), so tests can assert what a gateway
/// sent upstream: path, method, model, `authorization`, every header, body size, and the body
/// itself when it is JSON of at most `maxBodyBytes` (what a guardrail or translation changed).
///
/// Threading: shared by every loop of the server; a mutex guards a fixed-capacity ring.
final class MockJournal: Sendable {
    static let capacity = 256
    /// Larger bodies are journaled by size only: 256 of them stay a few MiB at most.
    static let maxBodyBytes = 64 * 1024
    private let ring = Mutex(Ring())

    private struct Ring {
        var entries: [JSONValue] = []
        var next = 0  // where the next entry goes once the ring is full

        mutating func append(_ entry: JSONValue) {
            if entries.count < MockJournal.capacity {
                entries.append(entry)
            } else {
                entries[next] = entry
                next = (next + 1) % MockJournal.capacity
            }
        }

        var oldestFirst: [JSONValue] { Array(entries[next...] + entries[..<next]) }
    }

    /// `body` is the request body already parsed by the responder (nil when it is not JSON); the
    /// entry shares it, so journaling costs no second parse.
    func record(_ request: HTTPRequest, model: String?, body: JSONValue?) {
        var headers = JSONObject()
        for (name, value) in request.headers.pairs { headers[name.lowercased()] = .string(value) }
        var entry = JSONObject()
        entry["method"] = .string(request.method)
        entry["path"] = .string(request.path)
        entry["model"] = model.map { .string($0) } ?? .null
        entry["authorization"] = request.headers["authorization"].map { .string($0) } ?? .null
        entry["x_team"] = request.headers["x-team"].map { .string($0) } ?? .null
        entry["headers"] = .object(headers)
        entry["body_bytes"] = .number(request.body.count)
        entry["body"] = request.body.count <= Self.maxBodyBytes ? body ?? .null : .null
        entry["request_id"] = .string(request.requestID)
        let value = JSONValue.object(entry)
        ring.withLock { $0.append(value) }
    }

    /// The entries, oldest first, as a JSON array.
    func snapshot() -> [UInt8] {
        let entries = ring.withLock { $0.oldestFirst }
        return JSONValue.array(entries).serialized()
    }

    func clear() {
        ring.withLock { $0 = Ring() }
    }
}
