import SwitchyardPosix
import SwitchyardUpstream

/// The executor's state for retries, the request deadline, the stream hold and the trace
/// (PlanExecutor+Resilience.swift). A value inside the loop-confined executor; its timers are
/// on the request's loop and cancelled when the request ends.
struct RequestResilience {
    let trace: TraceContext
    /// Monotonic nanoseconds; 0 = no deadline.
    var deadline: UInt64 = 0
    var deadlineTimer: TimerID?
    /// The wait before the next try on the same target.
    var retryTimer: TimerID?
    /// Retries of the whole request (the access log's `retries=`).
    var retries = 0
    /// Retries made on `retriedAttempt` (the plan's attempt index they belong to).
    var retriesOnTarget = 0
    var retriedAttempt = 0

    // The current try's failure, as `retry.on` reads it.
    /// The upstream's response status; 0 = no head yet.
    var headStatus = 0
    /// The transport failure that ended the try, if one did.
    var transportKind: UpstreamError.Kind?

    var hold = StreamHold()

    init(trace: TraceContext) { self.trace = trace }

    /// A new try begins: what the last one left is forgotten.
    mutating func beginTry() {
        headStatus = 0
        transportKind = nil
        hold.reset()
    }

    /// Why the try failed, in `retry.on`'s words.
    func cause(timedOut: Bool) -> RetryCause {
        if timedOut { return .timeout }
        if let transportKind {
            switch transportKind {
            case .connect, .resolve, .tls: return .connect
            case .closed where headStatus == 0: return .connect
            default: return .other
            }
        }
        return headStatus >= 400 ? .status(headStatus) : .other
    }
}
