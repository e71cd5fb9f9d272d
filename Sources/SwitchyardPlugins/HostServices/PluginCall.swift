import CSwitchyardPlugin
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The host's object behind one `sy_call`: one client request as the plugin hooks see it. The
/// gateway creates one per request, passes `handle` to every plugin hook of that request, tells
/// it which attempt runs (`beginAttempt`), calls `cancel()` when the client goes away and
/// `end()` when the request is over. The host functions `http_send`, `http_cancel`,
/// `call_cancelled`, `call_metadata` and `log` reach it through the handle. (`resume` does not:
/// it finishes a verdict, see PluginVerdict.swift.)
///
/// Cheap enough for every request: one allocation, a slot in `PluginCallRegistry` taken and
/// given back (two short critical sections), no JSON, no copied string, no retain per request.
/// The facts come from the request itself (`PluginCallSource`, the gateway's executor), read
/// only when a plugin asks for them.
///
/// Lifetime: `handle` is a token (slot and generation), not a pointer. From `end()` on it
/// resolves to nothing, so a late host call with it (a `call_cancelled` from a plugin thread,
/// an `http_send` from a kept handle) is answered safely: cancelled, no metadata,
/// SY_E_CANCELLED. The owner (the source, which holds the call) must call `end()` before it
/// lets the call go and before it goes away itself: the registry refers to the call, and the
/// call to its source, without holding them (nothing to retain per request), so `end()` is what
/// makes both unreachable. Metadata documents handed to plugins live as long as this object
/// (the gateway keeps it past the last hook of the request).
///
/// Threading: thread-safe. The atomics are read anywhere; `source`, the metadata documents and
/// the route documents are touched only under the registry's lock.
public final class PluginCall: Sendable {
    /// The request loop's out-of-band HTTP; nil: `http_send` answers SY_E_UNSUPPORTED.
    public let http: (any PluginCallHTTP)?
    private let cancelled = Atomic<Bool>(false)
    /// Set once an out-of-band request started, so cancelling a call that sent nothing (nearly
    /// every call) costs one load.
    private let hasSent = Atomic<Bool>(false)
    /// The attempt running (0 the first, 1 the first fallback ...).
    private let attempt = Atomic<Int>(0)
    private let ended = Atomic<Bool>(false)
    /// `call_deadline_ns` (ABI 1.1): the deadline (monotonic ns, 0 = none) of the hook that runs,
    /// or ran last, on the call's event loop; stored by whoever starts the hook there.
    private let loopHookDeadline = Atomic<UInt64>(0)
    /// The same for the hook running on a worker thread (blocking_hooks), and that thread
    /// (0 = no hook of this call on a worker): a worker hook and a loop hook of one call may run
    /// at once (a streamed generate and a chunk guardrail), and each asks for its own deadline.
    private let workerHookDeadline = Atomic<UInt64>(0)
    private let workerHookThread = Atomic<UInt>(0)
    // Written once, by `open`, before anyone can know the handle; 0 until then.
    private nonisolated(unsafe) var token: UInt64 = 0

    // Under the registry's lock (PluginCallRegistry.withLock). Not held: the source owns the
    // call and ends it before it goes away (see Lifetime); nil once ended.
    nonisolated(unsafe) unowned(unsafe) var source: (any PluginCallSource)?
    /// The metadata document of `metadataAttempt`, built on first ask (nil: not yet).
    nonisolated(unsafe) var metadataDocument: UnsafeRawBufferPointer?
    nonisolated(unsafe) var metadataAttempt = 0
    /// `call_route`'s documents by the model asked for (each also in `metadataDocuments`).
    nonisolated(unsafe) var routeDocuments: [String: UnsafeRawBufferPointer] = [:]
    /// The newest document built; each starts with a pointer to the one built before, so all
    /// are freed in deinit (a hook may still read an older one).
    nonisolated(unsafe) var metadataDocuments: UnsafeMutableRawPointer?

    /// A call with no handle yet: `open(source:)` gives it one.
    public init(http: (any PluginCallHTTP)? = nil) {
        self.http = http
    }

    /// Registers the call for `source` (once, before any hook): from now on `handle` resolves,
    /// and `source` must call `end()` before it lets the call go or goes away.
    public func open(source: any PluginCallSource) {
        precondition(token == 0, "PluginCall opened twice")
        self.source = source  // not retained (see Lifetime)
        token = PluginCallRegistry.register(self)
    }

    /// A call opened at once (tests, and callers that own the call elsewhere).
    public convenience init(source: any PluginCallSource, http: (any PluginCallHTTP)? = nil) {
        self.init(http: http)
        open(source: source)
    }

    deinit { freeMetadataDocuments() }

    /// Makes an ended call ready to be opened again, so a loop can reuse calls instead of
    /// allocating one per request. Only for a call nobody else refers to (the caller checks with
    /// `isKnownUniquelyReferenced`): no plugin can reach it or read its documents any more.
    public func recycle() {
        precondition(ended.load(ordering: .acquiring), "recycling a call that has not ended")
        if metadataDocuments != nil { freeMetadataDocuments() }
        metadataDocument = nil
        metadataAttempt = 0
        if !routeDocuments.isEmpty { routeDocuments = [:] }
        cancelled.store(false, ordering: .relaxed)
        hasSent.store(false, ordering: .relaxed)
        attempt.store(0, ordering: .relaxed)
        loopHookDeadline.store(0, ordering: .relaxed)
        workerHookDeadline.store(0, ordering: .relaxed)
        token = 0
        ended.store(false, ordering: .releasing)
    }

    private func freeMetadataDocuments() {
        var next = metadataDocuments
        metadataDocuments = nil
        while let document = next {
            next = document.load(as: UnsafeMutableRawPointer?.self)
            document.deallocate()
        }
    }

    /// What plugin hooks of this call receive as `sy_call`: never NULL, unique in the process.
    /// Only once opened (before, there is none: a trap).
    public var handle: sy_call { OpaquePointer(bitPattern: UInt(token))! }

    /// The attempt about to run (0 the first, 1 the first fallback ...): `call_metadata`
    /// reports it, and its provider, from now on.
    public func beginAttempt(_ index: Int) {
        attempt.store(index, ordering: .releasing)
    }

    var currentAttempt: Int { attempt.load(ordering: .acquiring) }

    public var isCancelled: Bool { cancelled.load(ordering: .sequentiallyConsistent) }

    /// The client went away (or the request is over): plugins see call_cancelled() == 1,
    /// http_send answers SY_E_CANCELLED, and every out-of-band request still running is
    /// cancelled (its handler gets on_done(SY_E_CANCELLED), later, on the call's loop).
    /// Idempotent.
    public func cancel() {
        guard !cancelled.exchange(true, ordering: .sequentiallyConsistent) else { return }
        if hasSent.load(ordering: .sequentiallyConsistent), let http { http.cancelAll(of: self) }
    }

    /// The request is over: cancels what runs, the handle stops resolving and the source is
    /// forgotten. Idempotent (a second call costs one atomic exchange).
    public func end() {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        cancel()
        if token != 0 { PluginCallRegistry.remove(token) }
    }

    /// The request's id (for log lines); nil once the call has ended.
    public var requestID: String? {
        PluginCallRegistry.withLock { source?.callRequestID }
    }

    /// An out-of-band request of this call is starting (PluginHTTPHandler). Marked before the
    /// handler checks `isCancelled`: a `cancel()` racing it either sees the mark (and cancels
    /// what runs) or is seen there.
    func sent() {
        hasSent.store(true, ordering: .sequentiallyConsistent)
    }

    // MARK: hook deadlines (call_deadline_ns)

    /// A hook of this call starts on its event loop, to return by `deadline` (monotonic ns;
    /// 0 = the host sets none). One store: what the loop pays per hook.
    @inline(__always)
    public func loopHookStarts(deadline: UInt64) {
        loopHookDeadline.store(deadline, ordering: .relaxed)
    }

    /// The deadline of this call's hook on a worker (set when it is queued, moved when a
    /// generate writes). From the loop.
    public func setWorkerHookDeadline(_ deadline: UInt64) {
        workerHookDeadline.store(deadline, ordering: .relaxed)
    }

    /// Runs a hook of this call on the calling worker thread: `call_deadline_ns` asked from this
    /// thread meanwhile answers the worker deadline.
    public func onWorker<Result>(_ hook: () -> Result) -> Result {
        workerHookThread.store(UInt(pthread_self()), ordering: .relaxed)
        defer { workerHookThread.store(0, ordering: .relaxed) }
        return hook()
    }

    /// What `call_deadline_ns` answers on the calling thread.
    var hookDeadline: UInt64 {
        let worker = workerHookThread.load(ordering: .relaxed)
        if worker != 0 && worker == UInt(pthread_self()) {
            return workerHookDeadline.load(ordering: .relaxed)
        }
        return loopHookDeadline.load(ordering: .relaxed)
    }

    /// The live call behind a handle; nil for NULL or for a call that has ended.
    static func from(_ handle: sy_call?) -> PluginCall? {
        guard let handle else { return nil }
        return PluginCallRegistry.find(UInt64(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))))
    }
}
