import Synchronization

/// The live calls, by handle: a table of slots under one lock. A call takes a free slot when it
/// is created and gives it back at `end()`; its handle is the slot plus a generation number
/// that no other call gets, so a handle kept past its call never names the call that reuses
/// the slot. The table does not hold the calls (nothing retained per request): a call is
/// removed, under the lock, by its `end()`, which its owner calls before letting it go, so a
/// lookup (which retains what it finds, under the lock) never meets a call being freed. The
/// same lock guards each call's source and metadata documents (rarely touched: only when a
/// plugin asks), so ending a call takes one critical section.
///
/// Cost per request: two short critical sections (take a slot, give it back) over plain memory
/// (no array copy-on-write checks, the free slots chained through the table itself), no
/// allocation once the table has grown to the number of concurrent requests, no weak reference.
///
/// Handle layout (host-private; plugins must not rely on it): bits 0-23 the slot, 24-63 the
/// generation (from 1, so 0 is never a handle; 2^40 calls before it wraps).
enum PluginCallRegistry {
    static let slotBits: UInt64 = 24
    static let slotMask: UInt64 = (1 << slotBits) - 1
    static let generationLimit: UInt64 = 1 << (64 - slotBits)

    private struct Entry {
        var generation: UInt64  // 0: free
        var call: Unmanaged<PluginCall>?  // not retained: the call ends (is removed) before it is freed
        var nextFree: Int
    }

    /// Plain values only (the entries live in manually managed memory), so the lock's critical
    /// sections copy nothing.
    private struct Table {
        var entries: UnsafeMutablePointer<Entry>?
        var capacity = 0
        var used = 0  // slots ever handed out: entries[0..<used] are initialized
        var firstFree = -1
        var nextGeneration: UInt64 = 1

        mutating func grow() {
            let larger = Swift.max(capacity * 2, 64)
            precondition(UInt64(larger) <= slotMask + 1, "more than \(slotMask) plugin calls live at once")
            let moved = UnsafeMutablePointer<Entry>.allocate(capacity: larger)
            if let entries {
                moved.moveInitialize(from: entries, count: used)
                entries.deallocate()
            }
            entries = moved
            capacity = larger
        }
    }

    private static let table = Mutex(Table())

    static func register(_ call: PluginCall) -> UInt64 {
        let retained = Unmanaged.passUnretained(call)
        return table.withLock { table in
            let generation = table.nextGeneration
            table.nextGeneration = generation + 1 == generationLimit ? 1 : generation + 1
            let slot: Int
            if table.firstFree >= 0 {
                slot = table.firstFree
                table.firstFree = table.entries![slot].nextFree
                table.entries![slot] = Entry(generation: generation, call: retained, nextFree: -1)
            } else {
                if table.used == table.capacity { table.grow() }
                slot = table.used
                (table.entries! + slot).initialize(to: Entry(generation: generation, call: retained, nextFree: -1))
                table.used += 1
            }
            return generation << slotBits | UInt64(slot)
        }
    }

    /// Frees the slot of `handle` if it is still that call's, and forgets the call's source.
    static func remove(_ handle: UInt64) {
        table.withLock { table in
            let slot = Int(truncatingIfNeeded: handle & slotMask)
            guard slot < table.used, table.entries![slot].generation == handle >> slotBits, let call = table.entries![slot].call else { return }
            table.entries![slot] = Entry(generation: 0, call: nil, nextFree: table.firstFree)
            table.firstFree = slot
            call.takeUnretainedValue().source = nil
        }
    }

    /// Runs `body` under the registry's lock: what guards each call's `source` and metadata.
    static func withLock<R>(_ body: () -> R) -> R {
        table.withLock { _ in body() }
    }

    /// The live call of `handle`, retained (under the lock) for the caller; nil for a call that
    /// has ended.
    static func find(_ handle: UInt64) -> PluginCall? {
        table.withLock { table in
            let slot = Int(truncatingIfNeeded: handle & slotMask)
            guard handle >> slotBits != 0, slot < table.used, table.entries![slot].generation == handle >> slotBits else { return nil }
            return table.entries![slot].call?.takeUnretainedValue()
        }
    }
}
