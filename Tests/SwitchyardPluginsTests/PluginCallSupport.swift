import CSwitchyardPlugin
import Synchronization
@testable import SwitchyardPlugins

/// A request's facts as a gateway would give them: two attempts. A call does not hold its
/// source: keep it alive (`shared` lives as long as the process).
final class FixedCallSource: PluginCallSource, @unchecked Sendable {
    static let shared = FixedCallSource()
    let asked = Atomic<Int>(0)
    var callRequestID: String { "req-1" }

    func callFacts(attempt: Int) -> PluginCallFacts {
        asked.wrappingAdd(1, ordering: .relaxed)
        return PluginCallFacts(
            requestID: "req-1", endpoint: "chat_completions", mode: "translated", model: "gpt-x", requestedModel: "fast",
            provider: ["first", "second"][attempt], stream: true)
    }
}

/// Records what the host hands the gateway's side of http_send; answers `answer`.
final class RecordingHTTP: PluginCallHTTP {
    let sent = Mutex<[(PluginHTTPRequest, PluginHTTPHandler)]>([])
    let cancelled = Mutex<[UInt64]>([])
    let cancelledCalls = Mutex(0)
    let answer: sy_status

    init(answer: sy_status = SY_OK) { self.answer = answer }

    func send(_ request: PluginHTTPRequest, handler: PluginHTTPHandler, for call: PluginCall) -> sy_status {
        sent.withLock { $0.append((request, handler)) }
        return answer
    }

    func cancel(_ requestID: UInt64, of call: PluginCall) {
        cancelled.withLock { $0.append(requestID) }
    }

    func cancelAll(of call: PluginCall) {
        cancelledCalls.withLock { $0 += 1 }
    }
}

/// The gateway's side of http_send as a closure (a test double that answers from its own thread).
final class HookHTTP: PluginCallHTTP {
    let hook: @Sendable (PluginHTTPRequest, PluginHTTPHandler) -> sy_status

    init(_ hook: @escaping @Sendable (PluginHTTPRequest, PluginHTTPHandler) -> sy_status) { self.hook = hook }

    func send(_ request: PluginHTTPRequest, handler: PluginHTTPHandler, for call: PluginCall) -> sy_status { hook(request, handler) }
    func cancel(_ requestID: UInt64, of call: PluginCall) {}
    func cancelAll(of call: PluginCall) {}
}
