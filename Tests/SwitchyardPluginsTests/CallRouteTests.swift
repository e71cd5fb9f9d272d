import CSwitchyardPlugin
import Glibc
import Synchronization
@testable import SwitchyardPlugins
import Testing

/// `call_route` through the host table a plugin calls: one document per (call, model), built
/// outside the registry's lock, kept until the call is recycled.
@Suite struct CallRouteTests {
    @Test func askingTenThousandTimesForThreeModelsKeepsThreeDocuments() {
        let source = RoutedCallSource()
        let call = PluginCall(source: source)
        defer { call.end() }
        let models = ["fast", "gpt-x", "other"]
        var first: [String: UnsafePointer<UInt8>] = [:]
        for index in 0..<10_000 {
            let model = models[index % 3]
            let answer = ask(call.handle, model)
            guard let pointer = answer.ptr else { Issue.record("no route for \(model)"); return }
            if let seen = first[model] {
                if seen != pointer { Issue.record("another document for \(model) on ask \(index)"); return }
            } else {
                first[model] = pointer
                #expect(String(decoding: UnsafeRawBufferPointer(start: pointer, count: answer.len), as: UTF8.self)
                    == #"{"model":"\#(model)","targets":[]}"#)
            }
        }
        #expect(call.routeDocumentCount == 3)
        #expect(source.router.built.load(ordering: .relaxed) == 3)
        // A model no route serves: empty, nothing kept, asked of the router each time.
        #expect(ask(call.handle, "unknown").len == 0)
        #expect(ask(call.handle, "unknown").len == 0)
        #expect(call.routeDocumentCount == 3)
        #expect(source.router.built.load(ordering: .relaxed) == 5)
    }

    @Test func threadsAskingAtOnceShareOneDocumentPerModel() async {
        let source = RoutedCallSource()
        let call = PluginCall(source: source)
        defer { call.end() }
        let handle = UInt(bitPattern: call.handle)
        let pointers = await withTaskGroup(of: Set<UInt>.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var seen = Set<UInt>()
                    for index in 0..<2_000 { seen.insert(UInt(bitPattern: ask(OpaquePointer(bitPattern: handle), ["a", "b", "c"][index % 3]).ptr)) }
                    return seen
                }
            }
            return await group.reduce(into: Set<UInt>()) { $0.formUnion($1) }
        }
        #expect(pointers.count == 3)
        #expect(call.routeDocumentCount == 3)
    }

    @Test func anEndedCallAnswersNothingAndARecycledOneStartsAfresh() {
        let source = RoutedCallSource()
        let call = PluginCall(source: source)
        let handle = call.handle
        #expect(ask(handle, "fast").len > 0)
        call.end()
        #expect(ask(handle, "fast").len == 0)
        call.recycle()
        #expect(call.routeDocumentCount == 0)
        call.open(source: source)
        defer { call.end() }
        #expect(ask(call.handle, "fast").len > 0)
        #expect(call.routeDocumentCount == 1)
    }
}

private func ask(_ handle: sy_call?, _ model: String) -> sy_bytes {
    var model = model
    return model.withUTF8 { HostServices.table.pointee.call_route(handle, sy_bytes(ptr: $0.baseAddress, len: $0.count)) }
}

/// A router that serves every model but "unknown", counting the documents it builds.
final class CountingRouter: PluginCallRouter {
    let built = Atomic<Int>(0)

    func routeJSON(for model: String) -> [UInt8] {
        built.wrappingAdd(1, ordering: .relaxed)
        return model == "unknown" ? [] : Array(#"{"model":"\#(model)","targets":[]}"#.utf8)
    }
}

final class RoutedCallSource: PluginCallSource, @unchecked Sendable {
    let router = CountingRouter()
    var callRequestID: String { "req-route" }
    var callRouter: (any PluginCallRouter)? { router }

    func callFacts(attempt: Int) -> PluginCallFacts {
        PluginCallFacts(requestID: "req-route", endpoint: "batches", mode: "native", model: "", requestedModel: "", provider: "p", stream: false)
    }
}
