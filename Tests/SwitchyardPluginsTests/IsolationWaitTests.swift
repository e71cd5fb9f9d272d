import CSwitchyardPlugin
import Synchronization
import SwitchyardPosix
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import SwitchyardPlugins

/// Nothing on the proxy's side waits without bound (Isolation/Proxy, Isolation/Wire): a hook
/// thread's wait ends at its deadline plus a grace even if the supervisor never completes it,
/// and closing a channel ends a writer blocked on a runner that stopped reading.
@Suite struct IsolationWaitTests {
    @Test("a call the supervisor never completes fails at its deadline plus the grace")
    func boundedWait() {
        let now = monotonicNanoseconds()
        let call = PendingCall(id: 1, hook: "generate", deadline: now &- PendingCall.graceNanoseconds &- 1)
        let result = call.wait(late: PluginFailure(status: SY_E_TIMEOUT, message: "late"))
        guard case .failure(let failure) = result else {
            Issue.record("answered without a reply")
            return
        }
        #expect(failure.status == SY_E_TIMEOUT)
        #expect(monotonicNanoseconds() - now < 500_000_000)
    }

    @Test("a completed call answers before its deadline")
    func completed() throws {
        let call = PendingCall(id: 2, hook: "generate", deadline: monotonicNanoseconds() &+ 60_000_000_000)
        call.complete(.success(WireReply(status: SY_OK)))
        #expect(try call.wait(late: PluginFailure(status: SY_E_TIMEOUT, message: "late")).get().status == SY_OK)
    }

    @Test("the runner's failure to answer names the plugin and the hook")
    func lateMessage() {
        let runner = IsolationProxyStateTests.runner("wait-late")
        let failure = runner.notAnswered(PendingCall(id: 3, hook: "prepare", deadline: 0))
        #expect(failure.status == SY_E_TIMEOUT)
        #expect(failure.retryable)
        #expect(failure.message.contains("plugin \"wait-late\" (isolated) did not answer prepare within 3s"))
    }

    @Test("close ends a writer blocked on a peer that does not read")
    func closeUnblocksWriter() {
        var sockets: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &sockets) == 0)
        defer { Glibc.close(sockets[1]) }
        _ = fcntl(sockets[0], F_SETFL, fcntl(sockets[0], F_GETFL) | O_NONBLOCK)
        let channel = FrameChannel(descriptor: sockets[0])
        let outcome = Mutex<Bool?>(nil)
        startDetachedThread {
            // Far more than a socket buffer: the write waits for room that never comes.
            let sent = channel.send(.generate, call: 1, [UInt8](repeating: 1, count: 8 << 20))
            outcome.withLock { $0 = sent }
        }
        usleep(200_000)
        #expect(outcome.withLock { $0 } == nil)
        let closing = monotonicNanoseconds()
        channel.close()
        #expect(monotonicNanoseconds() - closing < 500_000_000)
        var waited = 0
        while outcome.withLock({ $0 }) == nil, waited < 200 {
            usleep(10_000)
            waited += 1
        }
        #expect(outcome.withLock { $0 } == false)
    }
}

/// A channel's descriptor number is reused once closed: nothing may touch it after.
@Suite struct IsolationChannelCloseTests {
    @Test("a shutdown after close does not reach the file that reused the number")
    func shutdownAfterClose() {
        var first: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &first) == 0)
        let channel = FrameChannel(descriptor: first[0])
        channel.close()
        Glibc.close(first[1])
        var second: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &second) == 0)
        defer { Glibc.close(second[0]); Glibc.close(second[1]) }
        // The lowest free numbers are reused: the old channel's number names the new socket.
        #expect(second[0] == first[0] || second[1] == first[0])
        channel.shutdownBoth()
        var byte: UInt8 = 7
        #expect(Glibc.send(first[0], &byte, 1, Int32(MSG_NOSIGNAL)) == 1)
        var received: UInt8 = 0
        let other = second[0] == first[0] ? second[1] : second[0]
        #expect(recv(other, &received, 1, 0) == 1)
        #expect(received == 7)
    }
}

/// What the gateway holds for a runner is bounded: the frames waiting for its writer thread,
/// and the size of a frame it reads from a runner.
@Suite struct IsolationMemoryBoundTests {
    @Test("posts past the outbox limit are refused while a runner does not read")
    func outboxLimit() {
        var sockets: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &sockets) == 0)
        defer { Glibc.close(sockets[1]) }
        _ = fcntl(sockets[0], F_SETFL, fcntl(sockets[0], F_GETFL) | O_NONBLOCK)
        let channel = FrameChannel(descriptor: sockets[0])
        channel.startWriter()
        defer { channel.close() }
        let big = [UInt8](repeating: 1, count: FrameChannel.outboxLimitBytes * 3 / 4)
        #expect(channel.post(.inspect, call: 1, big))  // nothing waits: always taken
        #expect(!channel.post(.inspect, call: 2, big))
        #expect(!channel.post(.cancel, call: 3, [UInt8](repeating: 0, count: FrameChannel.outboxLimitBytes / 2)))
        #expect(channel.post(.cancel, call: 4, []))  // small frames fit under the limit
    }

    @Test("a frame from a runner above the reply limit is refused, naming the limit")
    func replyLimit() {
        var decoder = FrameDecoder(maximumBytes: IsolationFrame.maximumReplyBytes)
        var bytes: [UInt8] = []
        appendLittleEndian(UInt32(IsolationFrame.maximumReplyBytes + 1), to: &bytes)
        bytes.withUnsafeBytes { decoder.append($0) }
        #expect(throws: FrameError.oversize(IsolationFrame.maximumReplyBytes + 1, limit: 16 << 20)) { try decoder.next() }
        #expect(FrameError.oversize(20, limit: 10).description == "frame of 20 bytes is larger than the 10 allowed")
    }
}
