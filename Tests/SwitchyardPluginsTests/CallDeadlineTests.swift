import CSwitchyardPlugin
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
@testable import SwitchyardPlugins
import Testing

/// `call_deadline_ns` (ABI 1.1) as the host table answers it, and the host table as the validator
/// offers it at 1.0. The gateway's side (which deadline each hook gets) goes through the real
/// gateway in Tests/EndToEnd/test_abi_matrix.py.
@Suite struct CallDeadlineTests {
    let deadline = HostServices.table.pointee.call_deadline_ns!

    @Test func aHookOnTheLoopReadsTheDeadlineItsStarterStored() {
        let call = PluginCall(source: FixedCallSource.shared)
        defer { call.end() }
        #expect(deadline(call.handle) == 0)  // no hook started yet
        call.loopHookStarts(deadline: 42_000)
        #expect(deadline(call.handle) == 42_000)
        call.loopHookStarts(deadline: 0)  // a hook the host does not time
        #expect(deadline(call.handle) == 0)
    }

    @Test func aWorkerHookAndALoopHookOfOneCallEachReadTheirOwn() {
        let call = PluginCall(source: FixedCallSource.shared)
        defer { call.end() }
        call.loopHookStarts(deadline: 1_000)
        call.setWorkerHookDeadline(2_000)
        let handle = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(call.handle)))
        let seen = Atomic<UInt64>(0)
        // A thread of its own stands for the worker: onWorker marks it as running the call's hook.
        let worker = JoinedThread { call.onWorker { seen.store(HostServices.table.pointee.call_deadline_ns!(OpaquePointer(bitPattern: handle)), ordering: .relaxed) } }
        worker.join()
        #expect(seen.load(ordering: .relaxed) == 2_000)
        #expect(deadline(call.handle) == 1_000)  // this thread is not the worker
    }

    @Test func nullAndEndedCallsHaveNone() {
        #expect(deadline(nil) == 0)
        let call = PluginCall(source: FixedCallSource.shared)
        call.loopHookStarts(deadline: 7)
        let handle = call.handle
        call.end()
        #expect(deadline(handle) == 0)
    }

    /// The validator offers each minor's host table (NegotiationChecks): 1.0's ends before
    /// call_deadline_ns, as plugin-sdk/abi/layout-1.0.txt pins it.
    @Test func theValidatorsOlderHostTableEndsBeforeCallDeadline() {
        #expect(NegotiationChecks.hostTableSize(minor: 0) == 200)
        #expect(NegotiationChecks.hostTableSize(minor: 1) == 208)
        let old = NegotiationChecks.hostTable(minor: 0, size: 200)
        #expect(old.pointee.call_route != nil && old.pointee.call_deadline_ns == nil)
    }
}

/// A plain pthread, joined by its creator (no Foundation in the host's own tests of threads).
final class JoinedThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void

    init(_ body: @escaping () -> Void) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let me = Unmanaged<JoinedThread>.fromOpaque(raw!).takeRetainedValue()
            me.body()
            return nil
        }, context)
    }

    func join() { pthread_join(thread, nil) }
}
