import CSwitchyardPlugin
import Synchronization
@testable import SwitchyardPlugins
import Testing

/// The call-scoped host functions (call_metadata, call_cancelled, http_send, http_cancel,
/// resume) forwarding from a real plugin to the host's PluginCall and its hooks.
@Suite struct PluginCallTests {
    @Test func metadataAndCancellationReachThePlugin() throws {
        let instance = try goodInstance("call-metadata")
        let metadata = PluginCall.metadataJSON(requestID: "req-1", endpoint: "chat", model: "gpt-x", provider: "fx")
        let call = PluginCall(requestID: "req-1", metadataJSON: metadata)
        #expect(generate(instance, "metadata", call: call).json == [
            #"{"cancelled":0,"metadata":{"request_id":"req-1","endpoint":"chat","model":"gpt-x","provider":"fx"}}"#,
        ])
        call.cancel()
        #expect(call.isCancelled)
        #expect(generate(instance, "metadata", call: call).json.first?.hasPrefix(#"{"cancelled":1,"#) == true)
        // No call: not cancelled, no metadata.
        #expect(generate(instance, "metadata").json == [#"{"cancelled":0,"metadata":null}"#])
    }

    @Test func anEndedCallIsAnsweredSafely() throws {
        let instance = try goodInstance("call-ended")
        var call: PluginCall? = PluginCall(requestID: "gone", metadataJSON: Array("{}".utf8))
        let handle = call!.handle
        call = nil
        #expect(PluginCall.from(handle) == nil)
        let table = HostServices.table.pointee
        #expect(table.call_cancelled(handle) == 1)
        #expect(table.call_metadata(handle).len == 0)
        #expect(table.resume(nil, sy_verdict(SY_HANDLE_NONE), SY_OK) == SY_E_HANDLE)  // no such verdict: refused, not a crash
        _ = instance
    }

    @Test func httpSendForwardsToTheHookAndTheHandlerReachesThePlugin() throws {
        let instance = try goodInstance("call-http")
        let sent = Mutex<[(PluginHTTPRequest, PluginHTTPHandler)]>([])
        let cancelled = Mutex<[UInt64]>([])
        let call = PluginCall(
            requestID: "req-http", metadataJSON: [],
            httpSend: { _, request, handler in
                sent.withLock { $0.append((request, handler)) }
                return SY_OK
            },
            httpCancel: { _, id in cancelled.withLock { $0.append(id) } })

        let answer = try #require(generate(instance, "http", call: call).json.first)
        let (request, handler) = try #require(sent.withLock { $0.first })
        #expect(answer == #"{"send":0,"id":\#(handler.requestID)}"#)
        #expect(request.method == "POST" && request.url == "http://127.0.0.1:9/token")
        #expect(request.headers.map(\.name) == ["X-Fixture"] && request.headers.map(\.value) == ["yes"])
        #expect(request.body == Array("ping".utf8) && request.timeoutMilliseconds == 250)

        _ = generate(instance, "cancel", call: call)
        #expect(cancelled.withLock { $0 } == [handler.requestID])

        // The gateway's side: deliver the answer, then done exactly once.
        handler.headers(status: 200, [("content-type", "text/plain")])
        #expect(Array("pong".utf8).withUnsafeBytes { handler.data($0) } == SY_OK)
        handler.done(SY_OK)
        handler.done(SY_E_CANCELLED)  // a racing cancel after completion: ignored
        #expect(Array("late".utf8).withUnsafeBytes { handler.data($0) } == SY_E_CANCELLED)
        #expect(generate(instance, "report", call: call).json == [#"{"status":200,"body":"pong","done":1,"result":0}"#])
        #expect(call.inFlight.withLock { $0.isEmpty })
    }

    @Test func cancellingTheCallCancelsItsRequests() throws {
        let instance = try goodInstance("call-http-cancel")
        let cancelled = Mutex<[UInt64]>([])
        let call = PluginCall(
            requestID: "r", metadataJSON: [], httpSend: { _, _, _ in SY_OK },
            httpCancel: { _, id in cancelled.withLock { $0.append(id) } })
        _ = generate(instance, "http", call: call)
        call.cancel()
        #expect(cancelled.withLock { $0.count } == 1)
        // A cancelled call starts no new requests.
        #expect(generate(instance, "http", call: call).json.first?.hasPrefix(#"{"send":-4"#) == true)
    }

    @Test func missingHooksAnswerUnsupported() throws {
        let instance = try goodInstance("call-no-hooks")
        let call = PluginCall(requestID: "r", metadataJSON: [])
        #expect(generate(instance, "http", call: call).json.first?.hasPrefix(#"{"send":-2"#) == true)
        #expect(generate(instance, "pause", call: call).status == SY_PAUSE)  // resume without a hook: ignored
    }

    @Test func resumeForwardsTheStatus() throws {
        let instance = try goodInstance("call-resume")
        let resumed = Mutex<[sy_status]>([])
        let call = PluginCall(requestID: "r", metadataJSON: [], resume: { _, status in resumed.withLock { $0.append(status) } })
        #expect(generate(instance, "pause", call: call).status == SY_PAUSE)
        #expect(resumed.withLock { $0 } == [SY_E_TIMEOUT])
    }

    @Test func hookErrorMeansTheHandlerIsNeverCalled() throws {
        let instance = try goodInstance("call-http-refused")
        let kept = Mutex<PluginHTTPHandler?>(nil)
        let call = PluginCall(requestID: "r", metadataJSON: [], httpSend: { _, _, handler in
            kept.withLock { $0 = handler }
            return SY_E_UPSTREAM
        })
        #expect(generate(instance, "http", call: call).json.first?.hasPrefix(#"{"send":-6"#) == true)
        kept.withLock { $0?.done(SY_OK) }
        #expect(generate(instance, "report", call: call).json.first?.contains(#""done":0"#) == true)
    }
}
