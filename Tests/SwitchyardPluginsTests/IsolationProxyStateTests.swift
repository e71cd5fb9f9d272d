import CSwitchyardPlugin
import Testing

@testable import SwitchyardPlugins

/// What the proxy makes of a runner's answers (Isolation/Proxy): the runner runs untrusted code,
/// so an answer that breaks the protocol fails the call, naming the plugin, and never traps.
@Suite struct IsolationProxyStateTests {
    static func runner(_ entry: String) -> IsolatedRunner {
        IsolatedRunner(entry: entry, path: "/nonexistent.so",
                       limits: .init(hookTimeoutNanoseconds: 1_000_000_000, memoryBytes: 0, maxRestarts: 1, restartWindowNanoseconds: 1_000_000_000))
    }

    @Test("a successful begin must carry exactly one state", arguments: [0, 2, 3])
    func stateCount(count: Int) {
        let runner = Self.runner("proxy-state-\(count)")
        let reply = WireReply(status: SY_OK, ops: (0..<count).map { .state(UInt64($0 + 1)) })
        guard case .failure(let failure) = runner.transformerState(in: reply) else {
            Issue.record("\(count) states accepted")
            return
        }
        #expect(failure.status == SY_E_INTERNAL)
        #expect(failure.message.contains("proxy-state-\(count)"))
        #expect(failure.message.contains("\(count) states"))
    }

    @Test("one state is the state")
    func oneState() throws {
        let reply = WireReply(status: SY_OK, ops: [.sinkWrite(kind: SY_OUT_JSON, bytes: []), .state(7)])
        #expect(try Self.runner("proxy-state-one").transformerState(in: reply).get() == 7)
    }

    @Test("data and end without a state answer SY_E_INVALID instead of trapping")
    func nullState() {
        var error = sy_error()
        error.struct_size = UInt32(MemoryLayout<sy_error>.size)
        let table = ProxyTables.transformer.pointee
        let data = ([1, 2] as [UInt8]).withUnsafeBytes { table.data(nil, $0.syBytes, 0, &error) }
        #expect(data == SY_E_INVALID)
        #expect(table.end(nil, 0, &error) == SY_E_INVALID)
        let message = withUnsafeBytes(of: &error.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        #expect(message.contains("without its state"))
    }
}
