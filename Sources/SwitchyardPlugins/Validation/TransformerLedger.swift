import CSwitchyardPlugin
import Synchronization

/// Counts a provider's response-transformer states: the validator hands the host a copy of the
/// provider's table whose transformer forwards every call to the plugin's own and records each
/// state `begin` produced and each `state_free`. So a check can say that every state was freed
/// exactly once, none was freed that was not live, and none was handed to a hook after it was
/// freed; and time how long a hook took to return after a cancellation.
///
/// One plugin per validating child: the ledger is process-wide (C function pointers carry no
/// context). Thread-safe.
enum TransformerLedger {
    nonisolated(unsafe) private static var original: UnsafePointer<sy_transformer_v1>?
    private static let ledger = Mutex<Ledger>(Ledger())

    struct Ledger {
        var live: [UInt: Int] = [:]  // state -> times begun and not freed (NULL counted as 0)
        var begun = 0
        var freed = 0
        var problems: [String] = []
    }

    /// A copy of `table` (a provider table of `struct_size` bytes) whose transformer is the
    /// ledger's; the plugin's own table is left alone. Kept for the life of the process.
    static func shadow(provider table: UnsafeRawPointer) -> UnsafeRawPointer {
        let size = Int(table.load(as: UInt32.self))
        let full = MemoryLayout<sy_provider_v1>.size
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(size, full), alignment: MemoryLayout<sy_provider_v1>.alignment)
        copy.initializeMemory(as: UInt8.self, repeating: 0, count: max(size, full))
        copy.copyMemory(from: table, byteCount: size)
        let provider = copy.assumingMemoryBound(to: sy_provider_v1.self)
        let responseEnd = MemoryLayout<sy_provider_v1>.offset(of: \sy_provider_v1.response)! + MemoryLayout<UnsafeRawPointer>.size
        if size >= responseEnd, let response = provider.pointee.response {
            original = response
            // The host calls these on whatever thread runs the hook, as it would the plugin's
            // own; each forwards to the plugin's function with the same (borrowed) arguments and
            // touches the ledger under its lock only.
            let shadow = UnsafeMutablePointer<sy_transformer_v1>.allocate(capacity: 1)
            shadow.initialize(to: response.pointee)
            shadow.pointee.begin = { instance, call, info, status, headers, count, out, error in
                let status = TransformerLedger.original!.pointee.begin(instance, call, info, status, headers, count, out, error)
                if status == SY_OK { TransformerLedger.began(out?.pointee) }
                return status
            }
            shadow.pointee.data = { state, chunk, sink, error in
                TransformerLedger.used(state, "data")
                return TransformerLedger.original!.pointee.data(state, chunk, sink, error)
            }
            shadow.pointee.end = { state, sink, error in
                TransformerLedger.used(state, "end")
                return TransformerLedger.original!.pointee.end(state, sink, error)
            }
            shadow.pointee.state_free = { state in
                TransformerLedger.freed(state)
                TransformerLedger.original!.pointee.state_free(state)
            }
            provider.pointee.response = UnsafePointer(shadow)
        }
        return UnsafeRawPointer(copy)
    }

    private static func key(_ state: sy_state?) -> UInt { UInt(bitPattern: state) }

    private static func began(_ state: sy_state?) {
        ledger.withLock { ledger in
            ledger.begun += 1
            if state != nil, ledger.live[key(state), default: 0] > 0 {
                ledger.problems.append("begin returned a state that is still live (another call's)")
            }
            ledger.live[key(state), default: 0] += 1
        }
    }

    private static func used(_ state: sy_state?, _ hook: String) {
        ledger.withLock { ledger in
            if ledger.live[key(state), default: 0] == 0 { ledger.problems.append("\(hook) was handed a state after its state_free") }
        }
    }

    private static func freed(_ state: sy_state?) {
        ledger.withLock { ledger in
            ledger.freed += 1
            let count = ledger.live[key(state), default: 0]
            if count == 0 {
                ledger.problems.append("state_free of a state that is not live (freed twice?)")
            } else {
                ledger.live[key(state)] = count == 1 ? nil : count - 1
            }
        }
    }

    /// States begun, freed and still live, and any problem seen, since the last `reset`.
    static var snapshot: (begun: Int, freed: Int, live: Int, problems: [String]) {
        ledger.withLock { ($0.begun, $0.freed, $0.live.values.reduce(0, +), $0.problems) }
    }

    static func reset() {
        ledger.withLock { $0 = Ledger() }
    }
}
