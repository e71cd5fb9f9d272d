import Synchronization

/// The live calls, by handle: a table of slots under one lock. A call takes a free slot when it
/// is created and gives it back at `end()`; its handle is the slot plus a generation number
/// that no other call gets, so a handle kept past its call never names the call that reuses
/// the slot. The table holds each live call strongly (so a lookup never meets a call being
/// freed): `end()` is what lets it go.
///
/// Cost per request: two short critical sections (take a slot, give it back), no allocation
/// once the table has grown to the number of concurrent requests, no weak reference.
///
/// Handle layout (host-private; plugins must not rely on it): bits 0-23 the slot, 24-63 the
/// generation (from 1, so 0 is never a handle; 2^40 calls before it wraps).
enum PluginCallRegistry {
    static let slotBits: UInt64 = 24
    static let slotMask: UInt64 = (1 << slotBits) - 1

    private struct Entry {
        var generation: UInt64 = 0  // 0: free
        var call: PluginCall?
    }

    private struct Table {
        var entries: [Entry] = []
        var free: [Int] = []
        var nextGeneration: UInt64 = 1
    }

    private static let table = Mutex(Table())

    static func register(_ call: PluginCall) -> UInt64 {
        table.withLock { table in
            let generation = table.nextGeneration
            table.nextGeneration = generation == (1 << (64 - slotBits)) - 1 ? 1 : generation + 1
            let slot: Int
            if let reused = table.free.popLast() {
                slot = reused
                table.entries[slot] = Entry(generation: generation, call: call)
            } else {
                slot = table.entries.count
                precondition(UInt64(slot) <= slotMask, "more than \(slotMask) plugin calls live at once")
                table.entries.append(Entry(generation: generation, call: call))
            }
            return generation << slotBits | UInt64(slot)
        }
    }

    /// Frees the slot of `handle` if it is still that call's. The call is released after the
    /// lock (its deinit must never run under it).
    static func remove(_ handle: UInt64) {
        let released: PluginCall? = table.withLock { table in
            let slot = Int(truncatingIfNeeded: handle & slotMask)
            guard slot < table.entries.count, table.entries[slot].generation == handle >> slotBits else { return nil }
            let call = table.entries[slot].call
            table.entries[slot] = Entry()
            table.free.append(slot)
            return call
        }
        _ = released
    }

    static func find(_ handle: UInt64) -> PluginCall? {
        table.withLock { table in
            let slot = Int(truncatingIfNeeded: handle & slotMask)
            guard handle >> slotBits != 0, slot < table.entries.count, table.entries[slot].generation == handle >> slotBits else { return nil }
            return table.entries[slot].call
        }
    }

    /// Calls not yet ended (tests).
    static var liveCount: Int { table.withLock { $0.entries.count - $0.free.count } }
}
