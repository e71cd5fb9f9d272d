@testable import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardJSON
import Testing

/// The record replicas share in Redis (`sy:keys`): every field survives the round trip, the
/// secret is never in it, and what this version cannot read is skipped, not trusted.
@Suite struct SharedKeyRecordTests {
    @Test func everyFieldSurvivesTheRoundTrip() {
        let secret = KeySecret.generate()
        var key = VirtualKey(id: KeySecret.newID(), hash: secret.hash, prefix: secret.prefix, disabled: true, createdAt: 100, updatedAt: 200)
        key.name = "ci"
        key.user = "alice"
        key.team = "research"
        key.models = ["gpt-4o", "fast"]
        key.routes = ["/v1/chat/completions"]
        key.metadata = JSONObject([("env", .string("ci"))])
        key.budget = SpendLimit(limit: 5_000_000, period: .monthly)
        key.limits = RateLimitSettings(requestsPerMinute: 60, tokensPerMinute: 1000, concurrency: 2)
        key.expiresAt = 9_999_999_999
        key.rotatedAt = 150
        let bytes = SharedKeyRecord.encode(key)
        #expect(SharedKeyRecord.decode(bytes) == key)
        #expect(!String(decoding: bytes, as: UTF8.self).contains(secret.secret))
        let bare = VirtualKey(id: "key_1", hash: "h", prefix: "sk-sy-abcd", disabled: false, createdAt: 1, updatedAt: 1)
        #expect(SharedKeyRecord.decode(SharedKeyRecord.encode(bare)) == bare)
    }

    @Test func unreadableRecordsAreSkipped() {
        #expect(SharedKeyRecord.decode(Array("not json".utf8)) == nil)
        #expect(SharedKeyRecord.decode(Array(#"{"id":"key_1","prefix":"p","created_at":1,"updated_at":1}"#.utf8)) == nil)  // no hash
        #expect(SharedKeyRecord.decode(Array(#"{"id":"key_1","hash":"h","prefix":"p","created_at":"x","updated_at":1}"#.utf8)) == nil)
    }
}
