import CSwitchyardPlugin
import Synchronization
import SwitchyardJSON

/// The host's object behind one `sy_call`: one client request as the plugin hooks see it. The
/// gateway creates one per request (cheaply: no JSON, no closure, one slot in the registry),
/// passes `handle` to every plugin hook of that request, tells it each attempt's provider
/// (`beginAttempt`), calls `cancel()` when the client goes away and `end()` when the request is
/// over. The host functions `http_send`, `http_cancel`, `call_cancelled` and `call_metadata`
/// reach it through the handle. (`resume` does not: it finishes a verdict, see PluginVerdict.)
///
/// Lifetime: `handle` is a token (slot and generation in `PluginCallRegistry`), not a pointer.
/// From `end()` on it resolves to nothing, so a late host call with it (a `call_cancelled` from
/// a plugin thread, an `http_send` from a kept handle) is answered safely: cancelled, no
/// metadata, SY_E_CANCELLED. `end()` must be called: until then the registry keeps the object.
/// Metadata bytes handed to plugins live as long as the object (the gateway keeps it until its
/// request is released, past the last hook).
///
/// Threading: thread-safe. The facts may change between attempts (on the request's loop) while
/// a hook cut loose on a worker still reads metadata: one lock guards them.
public final class PluginCall: Sendable {
    public let requestID: String
    /// The request loop's out-of-band HTTP; nil: `http_send` answers SY_E_UNSUPPORTED.
    public let http: (any PluginCallHTTP)?
    private let facts: Facts
    private let cancelled = Atomic<Bool>(false)
    /// Set once the first out-of-band request started, so ending a call that sent nothing
    /// (nearly every call) takes no lock for it.
    private let hasSent = Atomic<Bool>(false)
    private let state = Mutex(State())
    // Written once, in init, before anyone can know the handle.
    private nonisolated(unsafe) var token: UInt64 = 0

    /// The plan's facts that do not change between attempts.
    public struct Facts: Sendable {
        public var endpoint: String
        public var mode: String
        /// After aliases.
        public var model: String
        public var requestedModel: String
        public var stream: Bool

        public init(endpoint: String, mode: String, model: String, requestedModel: String, stream: Bool) {
            self.endpoint = endpoint
            self.mode = mode
            self.model = model
            self.requestedModel = requestedModel
            self.stream = stream
        }
    }

    private struct State {
        var provider = ""
        var attempt = 0
        /// The metadata document for the current facts, built on first ask.
        var current: UnsafeRawBufferPointer?
        /// Every document built, freed in deinit: a hook may still read an older one.
        var built: [UnsafeMutableRawBufferPointer] = []
        /// Ids of this call's out-of-band requests that have not finished.
        var inFlight: Set<UInt64> = []
    }

    public init(requestID: String, facts: Facts, http: (any PluginCallHTTP)? = nil) {
        self.requestID = requestID
        self.facts = facts
        self.http = http
        token = PluginCallRegistry.register(self)
    }

    deinit {
        state.withLock { state in
            for buffer in state.built { buffer.deallocate() }
        }
    }

    /// What plugin hooks of this call receive as `sy_call`: never NULL, unique in the process.
    public var handle: sy_call { OpaquePointer(bitPattern: UInt(token))! }

    /// The attempt about to run: its provider instance and index (0 first, 1 the first
    /// fallback ...), as `call_metadata` reports them from now on.
    public func beginAttempt(provider: String, index: Int) {
        state.withLock { state in
            state.provider = provider
            state.attempt = index
            state.current = nil
        }
    }

    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// The client went away (or the request is over): plugins see call_cancelled() == 1,
    /// http_send answers SY_E_CANCELLED, and every out-of-band request still running is
    /// cancelled (its handler gets on_done(SY_E_CANCELLED), later, on the call's loop).
    /// Idempotent.
    public func cancel() {
        guard !cancelled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard let http, hasSent.load(ordering: .acquiring) else { return }
        let pending = state.withLock { $0.inFlight }
        for id in pending.sorted() { http.cancel(id, of: self) }
    }

    /// The request is over: cancels what runs, and the handle stops resolving. Idempotent.
    public func end() {
        cancel()
        PluginCallRegistry.remove(token)
    }

    /// `call_metadata`: `{"request_id","endpoint","mode","model","requested_model","provider",
    /// "attempt","stream"}`, built when first asked for the current attempt. The bytes stay
    /// valid as long as this object.
    public var metadata: UnsafeRawBufferPointer {
        state.withLock { state in
            if let current = state.current { return current }
            var json = JSONWriter(capacity: 192)
            json.raw(#"{"request_id":"#)
            json.string(requestID)
            json.raw(#","endpoint":"#)
            json.string(facts.endpoint)
            json.raw(#","mode":"#)
            json.string(facts.mode)
            json.raw(#","model":"#)
            json.string(facts.model)
            json.raw(#","requested_model":"#)
            json.string(facts.requestedModel)
            json.raw(#","provider":"#)
            json.string(state.provider)
            json.raw(#","attempt":"#)
            json.number(state.attempt)
            json.raw(#","stream":"#)
            json.bool(facts.stream)
            json.raw("}")
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: json.bytes.count, alignment: 1)
            json.bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            state.built.append(buffer)
            state.current = UnsafeRawBufferPointer(buffer)
            return UnsafeRawBufferPointer(buffer)
        }
    }

    // MARK: out-of-band requests (PluginHTTPHandler)

    func track(_ id: UInt64) {
        hasSent.store(true, ordering: .releasing)
        state.withLock { _ = $0.inFlight.insert(id) }
    }

    func untrack(_ id: UInt64) {
        state.withLock { _ = $0.inFlight.remove(id) }
    }

    /// Out-of-band requests of this call still running (tests).
    var inFlightCount: Int { state.withLock { $0.inFlight.count } }

    /// The live call behind a handle; nil for NULL or for a call that has ended.
    static func from(_ handle: sy_call?) -> PluginCall? {
        guard let handle else { return nil }
        return PluginCallRegistry.find(UInt64(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))))
    }
}

/// Out-of-band HTTP for the calls of one event loop: the gateway's side of `http_send` and
/// `http_cancel`. `send` starts the request and returns at once: the handler's callbacks come
/// later, serialized, ending with `done` exactly once, never inline inside `send`. It answers
/// SY_E_HANDLE when called from a thread it does not serve.
public protocol PluginCallHTTP: AnyObject, Sendable {
    func send(_ request: PluginHTTPRequest, handler: PluginHTTPHandler, for call: PluginCall) -> sy_status
    /// Cancels a request `send` started; its handler still gets `done(SY_E_CANCELLED)`, once,
    /// never inline inside this call. Unknown or finished ids are ignored. Any thread.
    func cancel(_ requestID: UInt64, of call: PluginCall)
}
