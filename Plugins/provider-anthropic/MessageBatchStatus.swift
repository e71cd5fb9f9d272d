import SwitchyardPluginSDK

/// An Anthropic `message_batch` → the provider's part of an OpenAI batch object (the gateway adds
/// its ids, endpoint, files, completion_window and metadata).
///
/// Status: `in_progress` → in_progress; `canceling` → cancelling; `ended` → cancelled when a cancel
/// was initiated, expired when every request expired, else completed (OpenAI's `completed` also
/// covers batches with failed requests). Anthropic starts processing at creation, so in_progress_at
/// is created_at; the end time goes to completed_at, cancelled_at or expired_at by that status.
/// Counts: completed = succeeded; failed = errored + canceled + expired; total = all five.
enum MessageBatchStatus {
    static func openAIBatch(_ upstream: UnsafeRawBufferPointer) throws(PluginError) -> [UInt8] {
        guard let batch = try? JSONValue.parse(upstream), batch["type"]?.stringValue == "message_batch" else {
            throw notABatch("it is not a message_batch object")
        }
        guard let id = batch["id"]?.stringValue, !id.isEmpty else { throw notABatch("it has no id") }
        let counts = batch["request_counts"]
        func count(_ name: String) throws(PluginError) -> Int {
            guard let value = counts?[name]?.intValue, value >= 0 else { throw notABatch("request_counts.\(name) is not a count") }
            return value
        }
        let (processing, succeeded, errored, canceled, expired) =
            (try count("processing"), try count("succeeded"), try count("errored"), try count("canceled"), try count("expired"))
        let total = processing + succeeded + errored + canceled + expired

        guard let created = try time(batch, "created_at") else { throw notABatch("it has no created_at") }
        let ended = try time(batch, "ended_at")
        let cancelInitiated = try time(batch, "cancel_initiated_at")
        let status: String
        switch batch["processing_status"]?.stringValue {
        case "in_progress": status = "in_progress"
        case "canceling": status = "cancelling"
        case "ended":
            if cancelInitiated != nil {
                status = "cancelled"
            } else if total > 0 && expired == total {
                status = "expired"
            } else {
                status = "completed"
            }
        default: throw notABatch("its processing_status is \(batch["processing_status"]?.jsonText ?? "missing")")
        }
        func seconds(_ value: Int?) -> JSONValue { value.map { .number(String($0)) } ?? nil }
        func endTime(if wanted: String) -> JSONValue { status == wanted ? seconds(ended) : nil }
        return JSONValue.object(JSONObject([
            ("id", .string(id)), ("object", "batch"), ("status", .string(status)),
            ("created_at", seconds(created)), ("in_progress_at", seconds(created)), ("finalizing_at", nil),
            ("completed_at", endTime(if: "completed")), ("failed_at", nil), ("expired_at", endTime(if: "expired")),
            ("expires_at", seconds(try time(batch, "expires_at"))),
            ("cancelling_at", seconds(cancelInitiated)), ("cancelled_at", endTime(if: "cancelled")),
            ("request_counts", .object(JSONObject([
                ("total", .number(String(total))), ("completed", .number(String(succeeded))),
                ("failed", .number(String(errored + canceled + expired))),
            ]))),
        ])).serialized()
    }

    /// A time member: nil when absent or null, Unix seconds when RFC 3339, an error otherwise.
    private static func time(_ batch: JSONValue, _ name: String) throws(PluginError) -> Int? {
        guard let value = batch[name], !value.isNull else { return nil }
        guard let text = value.stringValue, let seconds = RFC3339.unixSeconds(text) else {
            throw notABatch("\(name) is not an RFC 3339 time (\(value.jsonText))")
        }
        return seconds
    }

    private static func notABatch(_ why: String) -> PluginError {
        PluginError(SY_E_UPSTREAM, "anthropic sent a batch the gateway cannot read: \(why)", httpStatus: 502, retryable: true)
    }
}
