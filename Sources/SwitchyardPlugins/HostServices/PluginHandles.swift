import CSwitchyardPlugin
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The registry behind the output handles the host lends plugins (`sy_sink`, `sy_http_out`,
/// `sy_verdict`): opaque 64-bit tokens, never addresses. A plugin that keeps one past its hook
/// holds a number that no longer resolves; it never reads host memory through it, so whatever
/// the host later puts at the old address (another call's sink) is out of its reach.
///
/// Sinks and builders live in a table per thread (a pthread key), used as a stack: `withHandle`
/// pushes a slot with a fresh generation, lends the handle to its body, and pops the slot after.
/// A handle resolves only on the thread whose table issued it (the thread tag), only while its
/// slot is live, and only if the generation matches; a write after the hook returned, or from any
/// other thread, finds nothing. The loop path costs one `pthread_getspecific` and three compares;
/// nothing is allocated per lend or per write (a thread's table is allocated on its first lend,
/// freed when the thread exits), and no lock is taken.
///
/// Verdicts are different (a paused verdict is finished from the plugin's own thread): they live
/// in one locked table for the process, see `withPluginVerdict`.
///
/// Handle layout (host-private; plugins must not rely on it): bits 0-7 the slot (255 marks a
/// verdict), 8-23 the thread's tag, 24-63 the lend's generation (never 0, so 0 is never a handle).
/// Thread tags are handed out once per thread and wrap only after 65 535 threads; generations
/// count lends per thread (2^40 of them), so a stale handle matches a live slot only if both its
/// tag and its generation wrapped onto it.
public enum PluginHandles {
    enum Kind: UInt32 {
        case sink = 1, httpOut = 2, verdict = 3
    }

    struct Slot {
        var generation: UInt64 = 0  // 0: free
        var kind: UInt32 = 0
        var target: UnsafeRawPointer?
    }

    /// One thread's live lends. Touched only by its own thread.
    struct Table {
        let tag: UInt64
        var nextGeneration: UInt64 = 1
        var depth = 0
        var capacity = 4
        var slots: UnsafeMutablePointer<Slot>
    }

    static let slotBits: UInt64 = 8
    static let tagBits: UInt64 = 16
    static let generationShift = slotBits + tagBits
    static let generationMask: UInt64 = (1 << (64 - generationShift)) - 1
    static let verdictSlot: UInt64 = 0xFF
    /// Lends nested deeper than this on one thread are a host bug (a hook lends one or two).
    static let maximumDepth = Int(verdictSlot)

    private static let nextTag = Atomic<UInt64>(0)

    /// The pthread key of the tables, plus one (0: not created yet). An atomic with a constant
    /// initial value is a plain load on the hot path (a lazily initialized `static let` would
    /// cost a `swift_once` call on every lookup).
    private static let keyPlusOne = Atomic<UInt32>(0)

    @inline(__always)
    private static func table() -> UnsafeMutablePointer<Table>? {
        let key = keyPlusOne.load(ordering: .acquiring)
        guard key != 0, let raw = pthread_getspecific(pthread_key_t(key - 1)) else { return nil }
        return raw.assumingMemoryBound(to: Table.self)
    }

    /// The key, created by the first thread that lends a handle.
    @inline(never)
    private static func key() -> pthread_key_t {
        let existing = keyPlusOne.load(ordering: .acquiring)
        if existing != 0 { return pthread_key_t(existing - 1) }
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { raw in
            guard let raw else { return }
            let table = raw.assumingMemoryBound(to: Table.self)
            table.pointee.slots.deallocate()
            table.deinitialize(count: 1)
            table.deallocate()
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        let (exchanged, winner) = keyPlusOne.compareExchange(expected: 0, desired: UInt32(key) + 1, ordering: .acquiringAndReleasing)
        if exchanged { return key }
        pthread_key_delete(key)  // another thread created it first
        return pthread_key_t(winner - 1)
    }

    /// Lends `target` as a handle of `kind` for the duration of `body`, on the calling thread.
    /// `target` must stay valid until `body` returns; it is never used afterwards.
    @inline(__always)
    static func withHandle<R>(_ kind: Kind, _ target: UnsafeRawPointer, _ body: (UInt64) -> R) -> R {
        let table = currentTable()
        let handle = table.pointee.push(kind, target)
        defer { table.pointee.pop(handle) }
        return body(handle)
    }

    /// The target behind `handle` if it is live on this thread and of `kind`; nil otherwise.
    @inline(__always)
    static func resolve(_ handle: UInt64, _ kind: Kind) -> UnsafeRawPointer? {
        guard let table = table() else { return nil }
        let slot = Int(truncatingIfNeeded: handle & 0xFF)
        guard (handle >> slotBits) & 0xFFFF == table.pointee.tag, slot < table.pointee.depth else { return nil }
        let entry = table.pointee.slots[slot]
        guard entry.generation == handle >> generationShift, entry.kind == kind.rawValue else { return nil }
        return entry.target
    }

    /// Why `handle` did not resolve on this thread, for the log (the slow path only).
    static func whyRefused(_ handle: UInt64) -> String {
        guard handle != 0 else { return "a zero handle" }
        if handle & 0xFF == verdictSlot { return "a verdict used after its inspect returned, or after resume()" }
        guard let table = table(), (handle >> slotBits) & 0xFFFF == table.pointee.tag else { return "a handle used on a thread that is not running its hook (valid only there, until the hook returns)" }
        return "a handle used after its hook returned (valid only until then)"
    }

    /// Number of handles live on the calling thread (tests).
    static var liveOnThisThread: Int {
        table()?.pointee.depth ?? 0
    }

    @inline(__always)
    private static func currentTable() -> UnsafeMutablePointer<Table> {
        table() ?? makeTable()
    }

    @inline(never)
    private static func makeTable() -> UnsafeMutablePointer<Table> {
        var tag = nextTag.wrappingAdd(1, ordering: .relaxed).newValue & 0xFFFF
        if tag == 0 { tag = nextTag.wrappingAdd(1, ordering: .relaxed).newValue & 0xFFFF }
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: 4)
        slots.initialize(repeating: Slot(), count: 4)
        let table = UnsafeMutablePointer<Table>.allocate(capacity: 1)
        table.initialize(to: Table(tag: tag, slots: slots))
        let status = pthread_setspecific(key(), table)
        precondition(status == 0, "pthread_setspecific failed: \(status)")
        return table
    }
}

extension PluginHandles.Table {
    @inline(__always)
    mutating func push(_ kind: PluginHandles.Kind, _ target: UnsafeRawPointer) -> UInt64 {
        if depth == capacity { grow() }
        let generation = nextGeneration
        nextGeneration = generation == PluginHandles.generationMask ? 1 : generation + 1
        slots[depth] = PluginHandles.Slot(generation: generation, kind: kind.rawValue, target: target)
        let handle = generation << PluginHandles.generationShift | tag << PluginHandles.slotBits | UInt64(depth)
        depth += 1
        return handle
    }

    /// Lends are scoped, so the handle released is always the newest one.
    @inline(__always)
    mutating func pop(_ handle: UInt64) {
        depth -= 1
        precondition(UInt64(depth) == handle & 0xFF, "plugin handles released out of order")
        slots[depth].generation = 0
        slots[depth].target = nil
    }

    @inline(never)
    mutating func grow() {
        precondition(capacity < PluginHandles.maximumDepth, "more than \(PluginHandles.maximumDepth) plugin handles lent at once on one thread")
        let larger = Swift.min(capacity * 2, PluginHandles.maximumDepth)
        let moved = UnsafeMutablePointer<PluginHandles.Slot>.allocate(capacity: larger)
        moved.moveInitialize(from: slots, count: capacity)
        (moved + capacity).initialize(repeating: PluginHandles.Slot(), count: larger - capacity)
        slots.deallocate()
        slots = moved
        capacity = larger
    }
}
