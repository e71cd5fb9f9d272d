import CSwitchyardPlugin
import Synchronization
import SwitchyardJSON

/// The host's object behind one `sy_call`: one client request (or stream, or batch job) as the
/// plugin hooks see it. The gateway creates one per request, installs the hooks it implements,
/// passes `handle` to every plugin hook of that request, and calls `cancel()` when the client
/// goes away. The host functions `http_send`, `http_cancel`, `resume`, `call_cancelled` and
/// `call_metadata` forward here; a missing hook answers SY_E_UNSUPPORTED (or is ignored).
///
/// Lifetime: `handle` is a token, not a pointer. Once this object is released, a late host call
/// with its handle (a `resume` after a timeout, a `call_cancelled` from a plugin thread) finds
/// nothing and is answered safely instead of touching freed memory. Keep the object alive until
/// the call's last hook has returned and every paused hook was resumed or timed out.
///
/// Threading: thread-safe. Hooks run on the thread that called the host function: `resume` may
/// come from any plugin thread and must not re-enter the plugin synchronously (hop to the
/// request's event loop); `httpSend` must not invoke the handler inline (the ABI promises
/// plugins that callbacks never run inside http_send).
public final class PluginCall: Sendable {
    /// Starts the request; on SY_OK the host owns delivering `handler` its callbacks, ending with
    /// `done` exactly once. On an error status the handler must not be used.
    public typealias HTTPSendHook = @Sendable (_ call: PluginCall, _ request: PluginHTTPRequest, _ handler: PluginHTTPHandler) -> sy_status
    /// Cancels a request started through `httpSend`; its handler still gets `done` (SY_E_CANCELLED).
    public typealias HTTPCancelHook = @Sendable (_ call: PluginCall, _ requestID: UInt64) -> Void
    /// A hook that returned SY_PAUSE finished with `status`.
    public typealias ResumeHook = @Sendable (_ call: PluginCall, _ status: sy_status) -> Void

    public let requestID: String
    public let httpSend: HTTPSendHook?
    public let httpCancel: HTTPCancelHook?
    public let resume: ResumeHook?
    /// What plugin hooks of this call receive as `sy_call`.
    public var handle: sy_call { OpaquePointer(bitPattern: token)! }

    private let token: UInt
    // Allocated once and immutable: call_metadata hands out a pointer into it.
    private nonisolated(unsafe) let metadataStorage: UnsafeMutableRawBufferPointer
    private let cancelled = Atomic<Bool>(false)
    /// Ids of this call's out-of-band HTTP requests that have not finished.
    let inFlight = Mutex<Set<UInt64>>([])

    public init(requestID: String, metadataJSON: [UInt8], httpSend: HTTPSendHook? = nil,
                httpCancel: HTTPCancelHook? = nil, resume: ResumeHook? = nil) {
        self.requestID = requestID
        self.httpSend = httpSend
        self.httpCancel = httpCancel
        self.resume = resume
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(metadataJSON.count, 1), alignment: 1)
        metadataJSON.withUnsafeBytes { storage.copyMemory(from: $0) }
        metadataStorage = storage
        metadataCount = metadataJSON.count
        let token = Self.nextToken.wrappingAdd(1, ordering: .relaxed).newValue
        self.token = token
        Self.live.withLock { $0[token] = WeakCall(call: self) }
    }

    private let metadataCount: Int

    deinit {
        Self.live.withLock { _ = $0.removeValue(forKey: token) }
        metadataStorage.deallocate()
    }

    /// `{"request_id","endpoint","model","provider"}`: the metadata document the ABI describes.
    public static func metadataJSON(requestID: String, endpoint: String, model: String, provider: String) -> [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.value(["request_id": .string(requestID), "endpoint": .string(endpoint), "model": .string(model), "provider": .string(provider)])
        return writer.bytes
    }

    /// The metadata bytes, valid while this object lives.
    public var metadata: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: metadataStorage[0..<metadataCount])
    }

    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// The client went away: plugins see call_cancelled() == 1, and every out-of-band request of
    /// this call still in flight is cancelled through `httpCancel`. Idempotent.
    public func cancel() {
        guard !cancelled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let pending = inFlight.withLock { $0 }
        if let httpCancel { for id in pending.sorted() { httpCancel(self, id) } }
    }

    // MARK: handle registry

    private struct WeakCall { weak var call: PluginCall? }
    private static let live = Mutex<[UInt: WeakCall]>([:])
    private static let nextToken = Atomic<UInt>(0)

    /// The live call behind a handle; nil for NULL or for a call that has ended.
    static func from(_ handle: sy_call?) -> PluginCall? {
        guard let handle else { return nil }
        let token = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))
        return live.withLock { $0[token]?.call }
    }
}
