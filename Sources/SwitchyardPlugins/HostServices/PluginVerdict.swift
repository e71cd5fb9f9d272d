import CSwitchyardPlugin
import Synchronization

/// What receives a guardrail's decision through `host->verdict_patch` / `verdict_reject`. The
/// bytes are borrowed for the call: copy what you keep. Calls on one verdict are serialized by
/// the host (under the verdict registry's lock), but may come from any thread: keep the methods
/// short and do not call back into plugins from them.
public protocol PluginVerdictTarget: AnyObject, Sendable {
    func pluginPatched(format: UInt32, document: UnsafeRawBufferPointer) -> sy_status
    func pluginRejected(httpStatus: UInt32, body: UnsafeRawBufferPointer) -> sy_status
    func pluginHeld(bytes: Int) -> sy_status
    /// `host->resume` for a paused verdict, which has just ended (later calls get SY_E_HANDLE).
    /// Called outside the registry's lock, on the plugin's thread (possibly inside `inspect`):
    /// hop to the request's loop, never call back into the plugin from here.
    func pluginResumed(_ status: sy_status)
}

/// A verdict whose `inspect` returned SY_PAUSE: it stays valid (from any thread) until `end()`,
/// which the host calls when the plugin resumes the call (or when the call ends without it).
public struct PausedVerdict: Sendable {
    public let handle: sy_verdict
    /// Ends the verdict: later `verdict_*` calls with its handle get SY_E_HANDLE. Idempotent.
    public func end() { PluginHandles.endVerdict(handle) }
}

/// Lends `body` (which calls a guardrail's `inspect`) a `sy_verdict` handle for `target`. It is
/// valid from now until `body` returns; if `body` returns SY_PAUSE it stays valid until the
/// returned `PausedVerdict` is ended. Unlike sinks, a verdict may be used from any thread while
/// it is valid (a paused guardrail finishes on its own thread), so verdicts live in one table
/// for the process, behind a lock: one insert and one removal per `inspect`.
///
/// `owner` is the `sy_hinst` of the instance the verdict is lent to: the verdict functions refuse
/// (SY_E_HANDLE) a call that names another instance, so one plugin can never decide for another
/// plugin's inspection (nil: any instance, for tests).
public func withPluginVerdict(_ target: some PluginVerdictTarget, owner: sy_hinst? = nil, _ body: (sy_verdict) -> sy_status) -> (status: sy_status, paused: PausedVerdict?) {
    let handle = PluginHandles.lendVerdict(target, owner: owner)
    let status = body(handle)
    if status == SY_PAUSE { return (status, PausedVerdict(handle: handle)) }
    PluginHandles.endVerdict(handle)
    return (status, nil)
}

extension PluginHandles {
    private struct LentVerdict: @unchecked Sendable {  // `owner` is a token, only compared
        let target: any PluginVerdictTarget
        let owner: sy_hinst?

        func isUsable(by hinst: sy_hinst?) -> Bool { owner == nil || owner == hinst }
    }

    private static let verdicts = Mutex<[UInt64: LentVerdict]>([:])
    private static let nextVerdict = Atomic<UInt64>(0)

    static func lendVerdict(_ target: any PluginVerdictTarget, owner: sy_hinst? = nil) -> UInt64 {
        let serial = nextVerdict.wrappingAdd(1, ordering: .relaxed).newValue & generationMask
        // The verdict slot marks these handles, so a sink handle is never taken for a verdict.
        let handle = max(serial, 1) << generationShift | verdictSlot
        verdicts.withLock { $0[handle] = LentVerdict(target: target, owner: owner) }
        return handle
    }

    static func endVerdict(_ handle: UInt64) {
        _ = verdicts.withLock { $0.removeValue(forKey: handle) }
    }

    /// `host->verdict_*`: runs `body` on the target of a valid verdict, under the lock, so calls
    /// from several threads never overlap; SY_E_HANDLE for a verdict that has ended.
    static func withVerdict(_ hinst: sy_hinst?, _ function: StaticString, _ handle: sy_verdict,
                            _ body: (any PluginVerdictTarget) -> sy_status) -> sy_status {
        if handle & 0xFF == verdictSlot,
           let status = verdicts.withLock({ table in table[handle].flatMap { $0.isUsable(by: hinst) ? body($0.target) : nil } }) {
            return status
        }
        return refuse(hinst, function, handle)
    }

    /// `host->resume`: ends a verdict and tells its target, outside the lock; SY_E_HANDLE for a
    /// verdict that has ended (resumed already, or its deadline ended it).
    static func resumeVerdict(_ hinst: sy_hinst?, _ handle: sy_verdict, _ status: sy_status) -> sy_status {
        let lent: LentVerdict? = handle & 0xFF == verdictSlot ? verdicts.withLock { table in
            guard let lent = table[handle], lent.isUsable(by: hinst) else { return nil }
            table[handle] = nil
            return lent
        } : nil
        guard let lent else { return refuse(hinst, "resume", handle) }
        lent.target.pluginResumed(status)
        return SY_OK
    }

    /// Number of verdicts currently valid (tests).
    static var liveVerdicts: Int { verdicts.withLock { $0.count } }
}
