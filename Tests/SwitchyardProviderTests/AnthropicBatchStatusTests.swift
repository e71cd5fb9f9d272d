import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// Anthropic `message_batch` objects → OpenAI batch objects (`status`), through the built .so:
/// every processing_status, cancels and expiry, the counts, and RFC 3339 times as Unix seconds.
@Suite struct AnthropicBatchStatusTests {
    let harness: ProviderHarness

    init() throws { harness = try ProviderHarness.anthropic() }

    /// 2024-08-20T18:37:24Z is 1724179044.
    static let created = "2024-08-20T18:37:24.100435Z"
    static let createdSeconds = 1_724_179_044

    static func batch(_ status: String, processing: Int = 0, succeeded: Int = 0, errored: Int = 0, canceled: Int = 0, expired: Int = 0,
                      ended: String? = nil, cancelInitiated: String? = nil, created: String = created) -> String {
        func time(_ value: String?) -> String { value.map { "\"\($0)\"" } ?? "null" }
        return #"""
        {"id":"msgbatch_013Zva2CMHLNnXjNJJKqJ2EF","type":"message_batch","processing_status":"\#(status)",
         "request_counts":{"processing":\#(processing),"succeeded":\#(succeeded),"errored":\#(errored),"canceled":\#(canceled),"expired":\#(expired)},
         "ended_at":\#(time(ended)),"created_at":"\#(created)","expires_at":"2024-08-21T18:37:24.100435Z",
         "archived_at":null,"cancel_initiated_at":\#(time(cancelInitiated)),"results_url":null}
        """#
    }

    private func status(_ upstream: String) throws -> JSONValue { try harness.batchStatus(upstream).get() }

    @Test func anInProgressBatchIsInProgressSinceItWasCreated() throws {
        let object = try status(Self.batch("in_progress", processing: 3))
        let expected: JSONValue = .object(JSONObject([
            ("id", "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF"), ("object", "batch"), ("status", "in_progress"),
            ("created_at", .number(String(Self.createdSeconds))), ("in_progress_at", .number(String(Self.createdSeconds))),
            ("finalizing_at", nil), ("completed_at", nil), ("failed_at", nil), ("expired_at", nil),
            ("expires_at", .number(String(Self.createdSeconds + 86_400))), ("cancelling_at", nil), ("cancelled_at", nil),
            ("request_counts", ["total": 3, "completed": 0, "failed": 0]),
        ]))
        #expect(object == expected)
    }

    @Test func aCancelingBatchIsCancellingSinceTheCancelWasInitiated() throws {
        let object = try status(Self.batch("canceling", processing: 2, succeeded: 1, cancelInitiated: "2024-08-20T18:40:00Z"))
        #expect(object["status"] == "cancelling")
        #expect(object["cancelling_at"] == .number(String(Self.createdSeconds + 156)))
        #expect(object["cancelled_at"] == .null && object["completed_at"] == .null)
        #expect(object["request_counts"] == ["total": 3, "completed": 1, "failed": 0])
    }

    @Test func anEndedBatchIsCompletedWithFailuresCounted() throws {
        let object = try status(Self.batch("ended", succeeded: 5, errored: 2, canceled: 0, expired: 1, ended: "2024-08-20T19:37:24.999999Z"))
        #expect(object["status"] == "completed")
        #expect(object["completed_at"] == .number(String(Self.createdSeconds + 3600)))
        #expect(object["cancelled_at"] == .null && object["expired_at"] == .null && object["cancelling_at"] == .null)
        #expect(object["request_counts"] == ["total": 8, "completed": 5, "failed": 3])
    }

    @Test func anEndedBatchWhoseCancelWasInitiatedIsCancelled() throws {
        let object = try status(Self.batch("ended", succeeded: 1, canceled: 4, ended: "2024-08-20T18:41:00Z", cancelInitiated: "2024-08-20T18:40:00Z"))
        #expect(object["status"] == "cancelled")
        #expect(object["cancelling_at"] == .number(String(Self.createdSeconds + 156)))
        #expect(object["cancelled_at"] == .number(String(Self.createdSeconds + 216)))
        #expect(object["completed_at"] == .null)
        #expect(object["request_counts"] == ["total": 5, "completed": 1, "failed": 4])
    }

    @Test func anEndedBatchWhoseRequestsAllExpiredIsExpired() throws {
        let object = try status(Self.batch("ended", expired: 4, ended: "2024-08-21T18:37:24.100435Z"))
        #expect(object["status"] == "expired")
        #expect(object["expired_at"] == .number(String(Self.createdSeconds + 86_400)))
        #expect(object["completed_at"] == .null && object["cancelled_at"] == .null)
        #expect(object["request_counts"] == ["total": 4, "completed": 0, "failed": 4])
        // Some expired, some not: the batch completed, the expired ones count as failed.
        #expect(try status(Self.batch("ended", succeeded: 1, expired: 3, ended: "2024-08-21T18:37:24Z"))["status"] == "completed")
    }

    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0),
        ("2000-02-29T23:59:59Z", 951_868_799),  // a leap day of a 400th year
        ("2100-03-01T00:00:00Z", 4_107_542_400),  // 2100 is not a leap year
        ("2024-08-20T20:37:24+02:00", 1_724_179_044),
        ("2024-08-20T16:07:24.5-02:30", 1_724_179_044),
        ("2024-08-20t18:37:24z", 1_724_179_044),
        ("2016-12-31T23:59:60Z", 1_483_228_800),  // a leap second reads as the next second
    ])
    func createdAtIsRFC3339InUnixSeconds(_ text: String, _ seconds: Int) throws {
        #expect(try status(Self.batch("in_progress", processing: 1, created: text))["created_at"] == .number(String(seconds)))
    }

    @Test(arguments: ["2024-08-20", "2024-08-20T18:37:24", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
                      "2024-08-20T24:00:00Z", "2024-08-20T18:37:24.Z", "2024-08-20T18:37:24+0200", "2024-08-20T18:37:24Zjunk", "１９７０-01-01T00:00:00Z"])
    func aTimeThatIsNotRFC3339IsRefused(_ text: String) throws {
        guard case .failure(let failure) = harness.batchStatus(Self.batch("in_progress", processing: 1, created: text)) else {
            Issue.record("\(text) accepted"); return
        }
        #expect(failure.status == SY_E_UPSTREAM && failure.message.contains("created_at is not an RFC 3339 time"), "\(failure.message)")
    }

    @Test(arguments: [
        ("{}", "not a message_batch"),
        ("[]", "not a message_batch"),
        (#"{"type":"message"}"#, "not a message_batch"),
        (#"{"type":"message_batch","processing_status":"ended","request_counts":{}}"#, "no id"),
        (#"{"type":"message_batch","id":"b","processing_status":"ended","request_counts":{"processing":0}}"#, "request_counts.succeeded"),
        (#"{"type":"message_batch","id":"b","processing_status":"paused","created_at":"2024-08-20T18:37:24Z","request_counts":{"processing":0,"succeeded":0,"errored":0,"canceled":0,"expired":0}}"#, "processing_status is \"paused\""),
        (#"{"type":"message_batch","id":"b","processing_status":"ended","request_counts":{"processing":0,"succeeded":0,"errored":0,"canceled":0,"expired":0}}"#, "no created_at"),
    ])
    func anObjectThatIsNoBatchIsRefusedSayingWhy(_ upstream: String, _ why: String) throws {
        guard case .failure(let failure) = harness.batchStatus(upstream) else { Issue.record("accepted"); return }
        #expect(failure.status == SY_E_UPSTREAM && failure.message.contains(why), "\(failure.message)")
    }
}
