import Synchronization

/// A provider hook, as the watch and the logs name it.
enum HookKind: UInt64, Sendable {
    case prepare = 1, generate, begin, data, end
    /// A guardrail's inspect.
    case inspect
    /// Any hook of an enricher.
    case observe

    var name: String {
        switch self {
        case .prepare: "prepare"
        case .generate: "generate"
        case .begin: "response.begin"
        case .data: "response.data"
        case .end: "response.end"
        case .inspect: "inspect"
        case .observe: "enricher"
        }
    }
}

/// What one event loop is running, published for the `HookWatchdog` thread: the loop stores a
/// word when it enters a plugin hook and another when it leaves; the watchdog samples it. So a
/// watched hook call costs the loop two plain stores and one load, no clock read, and a hook
/// that never returns is still reported (by the watchdog, while it blocks).
///
/// The word: `sequence << 24 | provider << 4 | hook << 1 | 1` while in a hook (odd), the bare
/// sequence (even) otherwise. The sequence makes every call distinct, so the watchdog can tell
/// one long call from two short ones, and the loop can tell that a flag is about its own call.
///
/// Threading: `enter`/`exit` on the loop's thread only; the watchdog reads `state` and writes
/// `flagged`/`flaggedSince` from its own thread; the `watchdog*` fields are the watchdog's.
final class HookWatch: @unchecked Sendable {
    let state = Atomic<UInt64>(0)
    /// The state word of a call the watchdog found running past the threshold.
    let flagged = Atomic<UInt64>(0)
    /// When the watchdog first saw that call (monotonic ns; the call started before).
    let flaggedSince = Atomic<UInt64>(0)
    /// Loop-confined.
    private var sequence: UInt64 = 0
    /// Watchdog-confined: the last odd word seen, when it was first seen, and whether reported.
    var watchdogSeen: UInt64 = 0
    var watchdogSeenAt: UInt64 = 0
    var watchdogReported = false
    /// Loop-confined: calls and failures per plugin and hook, for the metrics.
    let counts = HookCounts()

    static func tag(provider index: Int) -> UInt64 { UInt64(index & 0xF_FFFF) << 4 }
    static func provider(of word: UInt64) -> Int { Int((word >> 4) & 0xF_FFFF) }
    static func hook(of word: UInt64) -> HookKind? { HookKind(rawValue: (word >> 1) & 0x7) }

    /// Marks the loop as inside `hook` of the provider whose `tag(provider:)` is `provider`;
    /// returns the mark to pass to `exit`.
    @inline(__always)
    func enter(_ hook: HookKind, provider: UInt64) -> UInt64 {
        sequence &+= 1 << 24
        counts.calls[HookCounts.slot(tag: provider, hook: hook.rawValue)] &+= 1
        let mark = sequence | provider | hook.rawValue << 1 | 1
        state.store(mark, ordering: .relaxed)
        return mark
    }

    /// Marks the loop as outside any hook. True when the watchdog flagged this call as slow: the
    /// caller then takes the slow path (`elapsed(since:)`, logging, the deadline check).
    @inline(__always)
    func exit(_ mark: UInt64) -> Bool {
        state.store(sequence, ordering: .relaxed)
        return flagged.load(ordering: .relaxed) == mark
    }

    /// Counts the hook call `mark` came from as failed (it returned an error). On the loop's thread.
    func failed(_ mark: UInt64) {
        counts.failures[HookCounts.slot(tag: mark & 0xFF_FFF0, hook: (mark >> 1) & 0x7)] &+= 1
    }

    /// For a flagged call that has returned: how long it ran, at least (the watchdog saw it
    /// start within one of its periods before `flaggedSince`).
    func elapsed(now: UInt64) -> UInt64 {
        _ = flagged.load(ordering: .acquiring)  // pairs with the watchdog's releasing store
        let since = flaggedSince.load(ordering: .relaxed)
        return now > since ? now - since : 0
    }
}
