import Synchronization
import SwitchyardHTTP
import SwitchyardJSON

/// Failures on command for the inference routes (chat, messages, Responses, embeddings, Gemini):
/// a test scripts what the next requests meet through `POST /_mock/faults`, whatever client sent
/// them (a gateway forwards no `x-mock-*` header of its own accord):
///
///     {"faults": [{"status": 503, "retry_after": "1"}, {"delay_ms": 300}, {"cut_after": 2}],
///      "then": {"status": 503}}
///
/// Each request takes the next fault off the queue (in arrival order) and applies it over its
/// knobs; once the queue is empty, `then` (if given) applies to every request until the faults
/// are replaced or cleared (`DELETE /_mock/faults`). `GET /_mock/faults` tells how many are
/// queued and how many requests each kind of answer met.
///
/// Threading: shared by every loop; a mutex guards the script. An `armed` flag read first keeps
/// the benchmark's requests (no script) off the mutex.
final class MockFaults: Sendable {
    struct Fault: Sendable, Equatable {
        var status: Int?
        var retryAfter: String?
        var delayMilliseconds: Int?
        var chunkDelayMilliseconds: Int?
        var cutAfterEvents: Int?
    }

    private struct Script {
        var queue: [Fault] = []
        var next = 0
        var then: Fault?
        var faulted = 0
    }

    private let armed = Atomic<Bool>(false)
    private let script = Mutex(Script())

    /// `knobs` with the request's fault applied (unchanged when none is scripted).
    func apply(to knobs: MockKnobs) -> MockKnobs {
        guard armed.load(ordering: .acquiring) else { return knobs }
        let fault: Fault? = script.withLock { script in
            if script.next < script.queue.count {
                script.next += 1
                script.faulted += 1
                return script.queue[script.next - 1]
            }
            if script.then != nil { script.faulted += 1 }
            return script.then
        }
        guard let fault else { return knobs }
        var knobs = knobs
        if let status = fault.status { knobs.status = status }
        if let value = fault.retryAfter { knobs.retryAfter = value }
        if let value = fault.delayMilliseconds { knobs.delayMilliseconds = value }
        if let value = fault.chunkDelayMilliseconds { knobs.chunkDelayMilliseconds = value }
        if let value = fault.cutAfterEvents { knobs.cutAfterEvents = value }
        return knobs
    }

    /// `POST /_mock/faults`: replaces the script. A malformed one is refused and changes nothing.
    func replace(with body: JSONValue?) throws(MockRejection) {
        guard let body, case .object = body else { throw MockRejection(message: "body must be a JSON object with \"faults\" and/or \"then\"") }
        var queue: [Fault] = []
        if let list = body["faults"] {
            guard let items = list.arrayValue else { throw MockRejection(message: "\"faults\" must be an array", param: "faults") }
            for (index, item) in items.enumerated() { queue.append(try Self.fault(item, at: "faults[\(index)]")) }
        }
        var then: Fault?
        if let value = body["then"], !value.isNull { then = try Self.fault(value, at: "then") }
        script.withLock { $0 = Script(queue: queue, next: 0, then: then, faulted: 0) }
        armed.store(!queue.isEmpty || then != nil, ordering: .releasing)
    }

    func clear() {
        script.withLock { $0 = Script() }
        armed.store(false, ordering: .releasing)
    }

    /// `{"queued": N, "faulted": N, "then": bool}`.
    func snapshot() -> [UInt8] {
        let (queued, faulted, then) = script.withLock { ($0.queue.count - $0.next, $0.faulted, $0.then != nil) }
        return JSONValue.object(JSONObject([("queued", .number(queued)), ("faulted", .number(faulted)), ("then", .bool(then))])).serialized()
    }

    private static func fault(_ value: JSONValue, at place: String) throws(MockRejection) -> Fault {
        guard case .object(let object) = value else { throw MockRejection(message: "\(place) must be an object", param: place) }
        var fault = Fault()
        for (key, field) in object {
            switch key {
            case "status":
                guard let number = field.intValue, (100...599).contains(number) else { throw MockRejection(message: "\(place).status must be 100...599", param: place) }
                fault.status = number
            case "retry_after":
                guard let text = field.stringValue ?? field.intValue.map(String.init) else { throw MockRejection(message: "\(place).retry_after must be a string or number", param: place) }
                fault.retryAfter = text
            case "delay_ms", "chunk_delay_ms", "cut_after":
                guard let number = field.intValue, number >= 0 else { throw MockRejection(message: "\(place).\(key) must be a non-negative integer", param: place) }
                switch key {
                case "delay_ms": fault.delayMilliseconds = number
                case "chunk_delay_ms": fault.chunkDelayMilliseconds = number
                default: fault.cutAfterEvents = number
                }
            default:
                throw MockRejection(message: "\(place): unknown field \"\(key)\" (status, retry_after, delay_ms, chunk_delay_ms, cut_after)", param: place)
            }
        }
        return fault
    }
}
