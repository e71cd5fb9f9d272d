import CSwitchyardPlugin
import Synchronization
@testable import SwitchyardPlugins
import Testing

/// The call-scoped host functions (call_metadata, call_cancelled, http_send, http_cancel)
/// reaching the host's PluginCall from a real plugin, and the call's handle after it ended.
/// The gateway's side of http_send (a real request on an event loop) is in
/// Tests/SwitchyardGatewayTests/PluginHTTPTests.swift.
@Suite struct PluginCallTests {
    @Test func metadataIsTheAttemptsFactsAndCancellationReachesThePlugin() throws {
        let instance = try goodInstance("call-metadata")
        let source = FixedCallSource()
        let call = PluginCall(source: source)
        defer { call.end() }
        #expect(generate(instance, "metadata", call: call).json == [
            #"{"cancelled":0,"metadata":{"request_id":"req-1","endpoint":"chat_completions","mode":"translated","model":"gpt-x","requested_model":"fast","provider":"first","attempt":0,"stream":true}}"#,
        ])
        call.beginAttempt(1)
        #expect(generate(instance, "metadata", call: call).json.first?.contains(#""provider":"second","attempt":1,"#) == true)
        call.cancel()
        #expect(call.isCancelled)
        #expect(generate(instance, "metadata", call: call).json.first?.hasPrefix(#"{"cancelled":1,"#) == true)
        // No call: not cancelled, no metadata.
        #expect(generate(instance, "metadata").json == [#"{"cancelled":0,"metadata":null}"#])
    }

    @Test func metadataIsBuiltOncePerAttemptAndEarlierBytesStayValid() {
        let source = FixedCallSource()
        let call = PluginCall(source: source)
        defer { call.end() }
        let first = call.metadata
        #expect(call.metadata.baseAddress == first.baseAddress)  // reused while the attempt runs
        #expect(source.asked.load(ordering: .relaxed) == 1)
        call.beginAttempt(1)
        let second = call.metadata
        #expect(second.baseAddress != first.baseAddress)
        // A hook of the first attempt may still read its document.
        #expect(String(decoding: first, as: UTF8.self).contains(#""provider":"first""#))
        #expect(String(decoding: second, as: UTF8.self).contains(#""provider":"second""#))
    }

    @Test func anEndedCallIsAnsweredSafelyAndItsHandleNeverComesBack() throws {
        let instance = try goodInstance("call-ended")
        let source = FixedCallSource()
        let call = PluginCall(source: source, http: RecordingHTTP())
        let handle = call.handle
        #expect(PluginCall.from(handle) === call)
        #expect(call.requestID == "req-1")
        call.end()
        call.end()  // idempotent
        #expect(PluginCall.from(handle) == nil)
        #expect(call.requestID == nil)
        let table = HostServices.table.pointee
        #expect(table.call_cancelled(handle) == 1)
        #expect(table.call_metadata(handle).len == 0)
        table.log(nil, handle, SY_LOG_DEBUG, sy_bytes(ptr: nil, len: 0))  // no request id any more, no crash
        // The plugin's kept handle: http_send refuses it as cancelled.
        #expect(generate(instance, "http", call: call).json.first?.hasPrefix(#"{"send":-4"#) == true)

        // The slot is reused by the next call, under another handle.
        let next = PluginCall(source: source)
        defer { next.end() }
        #expect(next.handle != handle)
        #expect(PluginCall.from(handle) == nil)
        #expect(PluginCall.from(next.handle) === next)
    }

    @Test func aRecycledCallIsNewUnderAnotherHandle() {
        let source = FixedCallSource()
        let call = PluginCall()
        call.open(source: source)
        let first = call.handle
        call.beginAttempt(1)
        _ = call.metadata
        call.cancel()
        call.end()
        call.recycle()
        call.open(source: source)
        defer { call.end() }
        #expect(call.handle != first && PluginCall.from(first) == nil && PluginCall.from(call.handle) === call)
        #expect(!call.isCancelled)
        #expect(String(decoding: call.metadata, as: UTF8.self).contains(#""provider":"first","attempt":0,"#))
    }

    @Test func httpSendCopiesTheRequestForTheHookAndTheHandlerReachesThePlugin() throws {
        let instance = try goodInstance("call-http")
        let http = RecordingHTTP()
        let call = PluginCall(source: FixedCallSource.shared, http: http)
        defer { call.end() }

        let answer = try #require(generate(instance, "http", call: call).json.first)
        let (request, handler) = try #require(http.sent.withLock { $0.first })
        #expect(answer == #"{"send":0,"id":\#(handler.requestID)}"#)
        #expect(request.method == "POST" && request.url == "http://127.0.0.1:9/token" && !request.isGatewayPath)
        #expect(request.headers.map(\.name) == ["X-Fixture"] && request.headers.map(\.value) == ["yes"])
        #expect(request.body == Array("ping".utf8) && request.timeoutMilliseconds == 250)
        #expect(handler.call === call)

        _ = generate(instance, "cancel", call: call)
        #expect(http.cancelled.withLock { $0 } == [handler.requestID])

        // The gateway's side: deliver the answer, then done exactly once.
        handler.headers(status: 200, [("content-type", "text/plain"), ("X-Seen", "yes")])
        #expect(Array("pong".utf8).withUnsafeBytes { handler.data($0) } == SY_OK)
        handler.done(SY_OK)
        handler.done(SY_E_CANCELLED)  // a racing cancel after completion: ignored
        #expect(Array("late".utf8).withUnsafeBytes { handler.data($0) } == SY_E_CANCELLED)
        #expect(generate(instance, "report", call: call).json == [#"{"status":200,"seen":"yes","body":"pong","done":1,"result":0}"#])
    }

    @Test func aPathIsAccepted() throws {
        let instance = try goodInstance("call-http-path")
        let http = RecordingHTTP()
        let call = PluginCall(source: FixedCallSource.shared, http: http)
        defer { call.end() }
        #expect(generate(instance, "send 0 /v1/chat/completions", call: call).json.first?.hasPrefix(#"{"send":0,"#) == true)
        let request = try #require(http.sent.withLock { $0.first?.0 })
        #expect(request.isGatewayPath && request.url == "/v1/chat/completions")
        #expect(request.headers.count == 2)  // the host's gateway side drops the forged marker (PluginHTTPTests)
    }

    @Test(arguments: ["ftp://example.com/x", "//example.com/x", "example.com/x", "http://", "http://a b/"])
    func aRequestThatCannotBeSentIsRefused(_ url: String) throws {
        let instance = try goodInstance("call-http-invalid")
        let http = RecordingHTTP()
        let call = PluginCall(source: FixedCallSource.shared, http: http)
        defer { call.end() }
        #expect(generate(instance, "send 0 \(url)", call: call).json.first?.hasPrefix(#"{"send":-1,"#) == true)
        #expect(http.sent.withLock { $0.isEmpty })
    }

    @Test func endingTheCallCancelsItsRequestsAndRefusesNewOnes() throws {
        let instance = try goodInstance("call-http-cancel")
        let http = RecordingHTTP()
        let call = PluginCall(source: FixedCallSource.shared, http: http)
        _ = generate(instance, "http", call: call)
        call.cancel()
        #expect(http.cancelledCalls.withLock { $0 } == 1)
        // A cancelled call starts no new requests.
        #expect(generate(instance, "http", call: call).json.first?.hasPrefix(#"{"send":-4"#) == true)
        call.end()
        #expect(http.cancelledCalls.withLock { $0 } == 1)  // cancelled once
    }

    @Test func aCallThatSentNothingAsksNoCancellation() {
        let http = RecordingHTTP()
        let call = PluginCall(source: FixedCallSource.shared, http: http)
        call.end()
        #expect(http.cancelledCalls.withLock { $0 } == 0)
    }

    @Test func withoutHTTPSendIsUnsupportedAndAProviderCannotResume() throws {
        let instance = try goodInstance("call-no-http")
        let call = PluginCall(source: FixedCallSource.shared)
        defer { call.end() }
        #expect(generate(instance, "http", call: call).json.first?.hasPrefix(#"{"send":-2"#) == true)
        #expect(generate(instance, "resume", call: call).json == [#"{"resume":-11}"#])
    }

    @Test func aHookErrorMeansTheHandlerIsNeverCalled() throws {
        let instance = try goodInstance("call-http-refused")
        let http = RecordingHTTP(answer: SY_E_HANDLE)
        let call = PluginCall(source: FixedCallSource.shared, http: http)
        defer { call.end() }
        #expect(generate(instance, "send 0 http://127.0.0.1:9/x", call: call).json.first?.hasPrefix(#"{"send":-11"#) == true)
        http.sent.withLock { $0.first?.1.done(SY_OK) }
        #expect(generate(instance, "report", call: call).json.first?.contains(#""done":0"#) == true)
    }

    @Test func onlyTheSendingInstanceMayCancel() throws {
        let instance = try goodInstance("call-http-owner")
        let http = RecordingHTTP()
        let call = PluginCall(source: FixedCallSource.shared, http: http)
        defer { call.end() }
        _ = generate(instance, "http", call: call)
        let id = try #require(http.sent.withLock { $0.first?.1.requestID })
        PluginHTTPHandler.cancel(OpaquePointer(bitPattern: 0x1234), id)
        #expect(http.cancelled.withLock { $0.isEmpty })
        PluginHTTPHandler.cancel(instance.host.handle, id)
        #expect(http.cancelled.withLock { $0 } == [id])
    }
}
