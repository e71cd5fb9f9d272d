import CSwitchyardPlugin
import Foundation
@testable import SwitchyardPlugins
import Synchronization
import Testing

/// The handle registry behind sy_sink / sy_http_out / sy_verdict: a handle resolves only on the
/// thread that lent it and only while its lend lasts; a kept handle never reaches a later lend.
@Suite struct PluginHandlesTests {
    let host = HostServices.table.pointee

    func write(_ sink: sy_sink, _ text: String = "{}") -> sy_status {
        var text = text
        return text.withUTF8 { host.sink_write(nil, sink, SY_OUT_JSON, sy_bytes(ptr: $0.baseAddress, len: $0.count)) }
    }

    /// Runs `body` on a new thread and waits for it.
    func onAnotherThread<R: Sendable>(_ body: @escaping @Sendable () -> R) -> R {
        let result = Mutex<R?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            result.withLock { $0 = body() }
            done.signal()
        }.start()
        done.wait()
        return result.withLock { $0! }
    }

    @Test func aSinkResolvesWhileLentAndNeverAfter() {
        var writes = 0
        let kept = withPluginSink({ _, _ in writes += 1; return SY_OK }) { sink in
            #expect(write(sink) == SY_OK)
            return sink
        }
        #expect(writes == 1)
        #expect(write(kept) == SY_E_HANDLE)  // stale generation: the lend has ended
        #expect(writes == 1)
        #expect(PluginHandles.liveOnThisThread == 0)
    }

    @Test func aKeptHandleNeverReachesTheNextLendInTheSameSlot() {
        var first = 0, second = 0
        let kept = withPluginSink({ _, _ in first += 1; return SY_OK }) { $0 }
        withPluginSink({ _, _ in second += 1; return SY_OK }) { sink in
            // Same thread, same slot (the stack reuses it): only the generation tells them apart.
            #expect(sink & 0xFFFF_FF == kept & 0xFFFF_FF)
            #expect(sink != kept)
            #expect(write(kept) == SY_E_HANDLE)
            #expect(write(sink) == SY_OK)
        }
        #expect(first == 0 && second == 1)
    }

    @Test func aHandleDoesNotResolveOnAnotherThread() {
        let writes = Atomic<Int>(0)
        withPluginSink({ _, _ in writes.wrappingAdd(1, ordering: .relaxed); return SY_OK }) { sink in
            // While the lend is live on this thread, a plugin thread (with no table of its own)
            // and a thread that has lent handles itself (a table with another tag) are both refused.
            let fromPluginThread = onAnotherThread { write(sink) }
            let fromLendingThread = onAnotherThread {
                withPluginSink({ _, _ in SY_OK }) { own in
                    // Same slot index and possibly the same generation on that thread: the tag differs.
                    _ = own
                    return write(sink)
                }
            }
            #expect(fromPluginThread == SY_E_HANDLE)
            #expect(fromLendingThread == SY_E_HANDLE)
            #expect(write(sink) == SY_OK)
        }
        #expect(writes.load(ordering: .relaxed) == 1)
    }

    @Test func nestedLendsAreAllLiveUntilEachEnds() {
        var outerWrites = 0, innerWrites = 0
        var handles: [sy_sink] = []
        withPluginSink({ _, _ in outerWrites += 1; return SY_OK }) { outer in
            handles.append(outer)
            // Deeper than the table's first capacity (4): it grows, nothing moves for live handles.
            func nest(_ level: Int) {
                guard level > 0 else { return }
                withPluginSink({ _, _ in innerWrites += 1; return SY_OK }) { inner in
                    handles.append(inner)
                    #expect(write(outer) == SY_OK)
                    #expect(write(inner) == SY_OK)
                    nest(level - 1)
                }
            }
            nest(6)
            #expect(PluginHandles.liveOnThisThread == 1)
            for inner in handles.dropFirst() { #expect(write(inner) == SY_E_HANDLE) }
            #expect(write(outer) == SY_OK)
        }
        #expect(Set(handles).count == 7)
        #expect(outerWrites == 7 && innerWrites == 6)
        #expect(PluginHandles.liveOnThisThread == 0)
    }

    @Test func zeroAndForgedHandlesAreRefused() {
        #expect(write(0) == SY_E_HANDLE)
        withPluginSink({ _, _ in SY_OK }) { sink in
            #expect(write(sink ^ (1 << 30)) == SY_E_HANDLE)  // another generation
            #expect(write(sink + 1) == SY_E_HANDLE)          // a slot that is not live
            #expect(write(sink ^ (1 << 10)) == SY_E_HANDLE)  // another thread's tag
        }
    }

    @Test func aSinkHandleIsNotABuilderHandle() {
        let builder = UpstreamRequestBuilder()
        var url = "https://example.com/v1"
        let status = withPluginSink({ _, _ in SY_OK }) { sink in
            url.withUTF8 { host.http_out_set_url(nil, sink, sy_bytes(ptr: $0.baseAddress, len: $0.count)) }
        }
        #expect(status == SY_E_HANDLE && builder.url.isEmpty)
        let kept = builder.withHTTPOut { out in
            #expect(url.withUTF8 { host.http_out_set_url(nil, out, sy_bytes(ptr: $0.baseAddress, len: $0.count)) } == SY_OK)
            return out
        }
        #expect(url.withUTF8 { host.http_out_append_body(nil, kept, sy_bytes(ptr: $0.baseAddress, len: $0.count)) } == SY_E_HANDLE)
        #expect(builder.body.isEmpty && builder.url == "https://example.com/v1")
    }

    final class Verdict: PluginVerdictTarget, @unchecked Sendable {
        var patches: [String] = []
        var rejections: [UInt32] = []
        func pluginPatched(format: UInt32, document: UnsafeRawBufferPointer) -> sy_status {
            patches.append(String(decoding: document, as: UTF8.self))
            return SY_OK
        }
        func pluginRejected(httpStatus: UInt32, body: UnsafeRawBufferPointer) -> sy_status {
            rejections.append(httpStatus)
            return SY_OK
        }
        var resumes: [sy_status] = []
        func pluginHeld(bytes: Int) -> sy_status { SY_OK }
        func pluginResumed(_ status: sy_status) { resumes.append(status) }
    }

    func patch(_ verdict: sy_verdict) -> sy_status {
        var document = #"{"a":1}"#
        return document.withUTF8 { host.verdict_patch(nil, verdict, SY_PATCH_REPLACE, sy_bytes(ptr: $0.baseAddress, len: $0.count)) }
    }

    @Test func aVerdictEndsWhenInspectReturns() {
        let target = Verdict()
        var kept: sy_verdict = 0
        let (status, paused) = withPluginVerdict(target) { verdict in
            kept = verdict
            return patch(verdict)
        }
        #expect(status == SY_OK && paused == nil)
        #expect(patch(kept) == SY_E_HANDLE)
        #expect(host.verdict_reject(nil, kept, 403, sy_bytes(ptr: nil, len: 0)) == SY_E_HANDLE)
        #expect(target.patches == [#"{"a":1}"#] && target.rejections.isEmpty)
    }

    @Test func aVerdictAnswersOnlyTheInstanceItWasLentTo() {
        let owner = HostInstance(name: "owner", pluginID: "test.owner")
        let target = Verdict()
        let (status, paused) = withPluginVerdict(target, owner: owner.handle) { verdict in
            // Another instance (here: none) cannot decide, resume or hold it; its owner can.
            #expect(patch(verdict) == SY_E_HANDLE)
            #expect(host.verdict_hold(nil, verdict, 3) == SY_E_HANDLE)
            var document = #"{"b":2}"#
            let own = document.withUTF8 { host.verdict_patch(owner.handle, verdict, SY_PATCH_REPLACE, sy_bytes(ptr: $0.baseAddress, len: $0.count)) }
            #expect(own == SY_OK)
            return SY_PAUSE
        }
        #expect(status == SY_PAUSE)
        let verdict = paused!.handle
        #expect(host.resume(nil, verdict, SY_OK) == SY_E_HANDLE)
        #expect(host.resume(owner.handle, verdict, SY_OK) == SY_OK)
        #expect(target.patches == [#"{"b":2}"#] && target.resumes == [SY_OK])
    }

    @Test func aPausedVerdictStaysValidFromAnyThreadUntilResumed() {
        let target = Verdict()
        var kept: sy_verdict = 0
        let (status, paused) = withPluginVerdict(target) { verdict in
            kept = verdict
            return SY_PAUSE
        }
        #expect(status == SY_PAUSE && paused?.handle == kept)
        let verdict = kept
        #expect(onAnotherThread { patch(verdict) } == SY_OK)
        #expect(onAnotherThread { HostServices.table.pointee.verdict_reject(nil, verdict, 451, sy_bytes(ptr: nil, len: 0)) } == SY_OK)
        paused?.end()
        #expect(onAnotherThread { patch(verdict) } == SY_E_HANDLE)
        #expect(target.patches.count == 1 && target.rejections == [451])
        // A sink handle is never taken for a verdict.
        withPluginSink({ _, _ in SY_OK }) { sink in #expect(patch(sink) == SY_E_HANDLE) }
    }

    @Test func refusedHandleReportsAreRateLimited() {
        let notice = RateLimitedNotice(intervalNanoseconds: 1_000)
        #expect(notice.admit(now: 10_000) == 0)
        #expect(notice.admit(now: 10_500) == nil)
        #expect(notice.admit(now: 10_900) == nil)
        #expect(notice.admit(now: 11_000) == 2)
        #expect(notice.admit(now: 11_001) == nil)
    }
}
