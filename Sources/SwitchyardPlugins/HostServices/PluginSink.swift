import CSwitchyardPlugin
import Synchronization

/// An object that receives what a plugin writes to a `sy_sink` (SY_OUT_* kind; the bytes are
/// borrowed for the duration of the call, so copy what you keep). Return SY_OK, or
/// SY_E_CANCELLED once the client has gone away (the plugin then stops promptly).
/// Called on the thread that lent the sink (the one running the hook), while the hook runs.
public protocol PluginSinkTarget: AnyObject {
    func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status
}

/// The signature of a sink's Swift side.
public typealias PluginSinkWrite = (_ kind: UInt32, _ bytes: UnsafeRawBufferPointer) -> sy_status

/// Lends `body` a `sy_sink` handle whose writes (`host->sink_write`) go to `write`, valid on the
/// calling thread for the duration of `body` only: the handle is registered in this thread's
/// handle table before `body` runs and released after, so a plugin that keeps it and writes
/// later, or from another thread, gets SY_E_HANDLE and `write` is never called for it.
///
/// Works on any thread (an event loop, a worker): `write` runs on the thread that lent the sink.
/// Nothing is allocated: the closure slot lives on this stack frame, and the handle table entry
/// is a slot of a per-thread table reused for every lend.
@inline(__always)
public func withPluginSink<R>(_ write: PluginSinkWrite, _ body: (sy_sink) -> R) -> R {
    withoutActuallyEscaping(write) { write in
        var slot: PluginSinkWrite = write
        return withUnsafeMutablePointer(to: &slot) { slot in
            PluginHandles.withHandle(.sink, UnsafeRawPointer(slot), body)
        }
    }
}

/// Lends `body` a `sy_sink` that forwards to `target` (kept alive for the duration of `body`).
@inline(__always)
public func withPluginSink<R>(_ target: some PluginSinkTarget, _ body: (sy_sink) -> R) -> R {
    withExtendedLifetime(target) {
        withPluginSink({ kind, bytes in target.pluginWrote(kind: kind, bytes: bytes) }, body)
    }
}

extension PluginHandles {
    /// `host->sink_write`: the write goes to the sink's Swift side only if the handle is live on
    /// this thread.
    static func sinkWrite(_ hinst: sy_hinst?, _ sink: sy_sink, _ kind: UInt32, _ data: sy_bytes) -> sy_status {
        guard let target = resolve(sink, .sink) else { return refuse(hinst, "sink_write", sink) }
        // Untrusted input: a NULL pointer with a length is refused rather than read.
        if data.len < 0 || (data.ptr == nil && data.len != 0) { return SY_E_INVALID }
        let write = target.assumingMemoryBound(to: PluginSinkWrite.self).pointee
        return write(kind, UnsafeRawBufferPointer(start: data.ptr, count: data.len))
    }

    /// A handle that did not resolve: SY_E_HANDLE, and a warning naming the plugin, at most one
    /// per second per instance (a plugin writing from a loop must not flood the log).
    @inline(never)
    static func refuse(_ hinst: sy_hinst?, _ function: StaticString, _ handle: UInt64) -> sy_status {
        let host = HostInstance.from(hinst)
        refusals.record("\(function): \(whyRefused(handle))")
        if let suppressed = (host?.refusedHandleNotice ?? unattributedNotice).admit() {
            var message = "\(function) refused (SY_E_HANDLE): \(whyRefused(handle))"
            if suppressed > 0 { message += " (\(suppressed) more refused since the last report)" }
            HostLog.emit(pluginName: host?.name ?? "?", requestID: nil, level: SY_LOG_WARN, message)
        }
        return SY_E_HANDLE
    }

    private static let unattributedNotice = RateLimitedNotice()

    /// Every handle refused in this process (the slow path only): `plugins validate` reads it to
    /// fail a plugin that used a sink, builder or verdict after its hook returned.
    static let refusals = HandleRefusals()
}

/// A count of refused handles and the first reason since the last `take()`. Thread-safe. After
/// the first refusal a refusal costs one atomic add (the reason is built only for the first).
final class HandleRefusals: Sendable {
    private let count = Atomic<Int>(0)
    private let first = Mutex<String?>(nil)

    func record(_ reason: @autoclosure () -> String) {
        guard count.wrappingAdd(1, ordering: .relaxed).oldValue == 0 else { return }
        let text = reason()
        first.withLock { if $0 == nil { $0 = text } }
    }

    /// The refusals since the last take (count, first reason), and starts counting again.
    func take() -> (count: Int, first: String?) {
        let taken = count.exchange(0, ordering: .relaxed)
        let reason = first.withLock { reason in
            defer { reason = nil }
            return reason
        }
        return (taken, reason)
    }
}
