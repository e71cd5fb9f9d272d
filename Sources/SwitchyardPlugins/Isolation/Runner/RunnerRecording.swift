import CSwitchyardPlugin
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a plugin does through the host during one hook in the runner: its sink writes, builder
/// calls and verdict ops, in order, sent back with the hook's reply and replayed in the gateway.
/// The call's metadata and cancelled flag, shipped with the call, answer `call_metadata` and
/// `call_cancelled`.
///
/// Threading: sink and builder handles are [hook-thread]: the recording is the calling thread's
/// current one (`RunnerRecording.current`) and a handle that is not its own is refused. A
/// verdict may be used from any thread until it is resumed, so verdict recordings are found in
/// `RunnerRecording.verdicts` under a lock.
final class RunnerRecording: @unchecked Sendable {  // ops guarded by `lock` for verdicts; else one thread
    let call: UInt64
    let requestID: [UInt8]
    let metadata: [UInt8]
    /// The hook's deadline as the gateway reported it (0: none).
    let deadline: UInt64
    /// Shipped with the call, and set by a later `cancel` message (`call_cancelled`, sink writes).
    private let cancelledFlag: Atomic<Bool>
    var cancelled: Bool { cancelledFlag.load(ordering: .relaxed) }
    let sink: UInt64
    let httpOut: UInt64
    let verdict: UInt64
    /// The gateway's call id the reply goes to.
    let replyTo: UInt64
    private let lock = Mutex<[HostOp]>([])

    private static let nextHandle = Atomic<UInt64>(1)
    static func freshHandle() -> UInt64 { nextHandle.add(1, ordering: .relaxed).newValue }

    init(call: WireCall?, replyTo: UInt64, sink: Bool = false, httpOut: Bool = false, verdict: Bool = false) {
        self.call = call?.handle ?? 0
        self.requestID = call?.requestID ?? []
        self.metadata = call?.metadata ?? []
        self.deadline = call?.deadline ?? 0
        self.cancelledFlag = Atomic(call?.cancelled ?? false)
        self.replyTo = replyTo
        self.sink = sink ? Self.freshHandle() : 0
        self.httpOut = httpOut ? Self.freshHandle() : 0
        self.verdict = verdict ? Self.freshHandle() : 0
    }

    func record(_ op: HostOp) { lock.withLock { $0.append(op) } }
    var ops: [HostOp] { lock.withLock { $0 } }

    // MARK: the thread's current recording

    nonisolated(unsafe) private static var key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var current: RunnerRecording? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<RunnerRecording>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Runs `body` with this recording current on the calling thread (what makes its sink and
    /// builder handles valid there).
    func whileCurrent<R>(_ body: () -> R) -> R {
        let previous = pthread_getspecific(Self.key)
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.key, previous) }
        return withExtendedLifetime(self) { body() }
    }

    // MARK: calls a `cancel` message may reach

    private static let live = Mutex<[UInt64: RunnerRecording]>([:])

    /// Runs `body` with this recording findable by its gateway call id (`cancel`).
    func whileLive<R>(_ body: () -> R) -> R {
        Self.live.withLock { $0[replyTo] = self }
        defer { _ = Self.live.withLock { $0.removeValue(forKey: replyTo) } }
        return body()
    }

    /// The gateway says the client of call `id` has gone; unknown ids (answered already) are ignored.
    static func cancel(_ id: UInt64) {
        live.withLock { $0[id] }?.cancelledFlag.store(true, ordering: .relaxed)
    }

    // MARK: verdicts valid across threads

    static let verdicts = Mutex<[UInt64: RunnerRecording]>([:])
}
