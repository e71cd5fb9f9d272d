import SwitchyardPosix

/// The access-log line of a native files or batches request, and of a batch's usage once it
/// has ended: same `level=info msg=request` shape as every other request, so one query finds
/// them all, with `mode=native_file` / `native_batch` and what the request was about.
struct NativeAccessLine {
    private(set) var line = LogLine(level: .info, message: "request")

    init(requestID: String, endpoint: String, mode: String, method: String, status: Int, provider: String, startedAt: UInt64) {
        line.field("request_id", requestID)
        line.field("endpoint", endpoint)
        line.field("status", status)
        line.field("provider", provider)
        line.field("mode", mode)
        line.field("method", method)
        line.field("duration_us", Int((monotonicNanoseconds() &- startedAt) / 1000))
    }

    mutating func field(_ key: String, _ value: String) { line.field(key, value) }
    mutating func field(_ key: StaticString, _ value: Int) { line.field(key, value) }

    /// Adds the line to `batch` (the loop's access-log batch), when access logging is on.
    func record(_ services: GatewayServices, into batch: AccessLogBatch) {
        guard services.accessLog.enabled, services.log.minimum <= .info else { return }
        batch.append(line)
    }
}
