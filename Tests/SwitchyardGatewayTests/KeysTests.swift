import Foundation
import Glibc
@testable import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPosix
import SwitchyardStore
import Testing

@Suite struct KeySecretTests {
    @Test func secretIdAndPrefixFormats() {
        let alphabet = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var seen = Set<String>()
        for _ in 0..<200 {
            let key = KeySecret.generate()
            #expect(key.secret.hasPrefix("sk-sy-"))
            #expect(key.secret.count == 38)
            #expect(key.secret.dropFirst(6).allSatisfy(alphabet.contains))
            #expect(key.prefix == String(key.secret.prefix(10)))
            #expect(key.hash == KeySecret.hash(of: key.secret) && key.hash.count == 64)
            seen.insert(key.secret)
            let id = KeySecret.newID()
            #expect(id.hasPrefix("key_") && id.count == 20 && id.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
        }
        #expect(seen.count == 200)
    }

    @Test func theHashIsTheSecretsSHA256() {
        // sha256sum of the same bytes (printf 'sk-sy-AbCd' | sha256sum).
        #expect(KeySecret.hash(of: "sk-sy-AbCd") == "676a0eb834eee2d24265f3babb7794103cb49413ee86446a80227a6f291117a0")
    }

    @Test func onlyAPrefixOfALongEnoughTokenIsShown() {
        #expect(KeySecret.prefix(of: "sk-sy-AbCdEfGhIjKlMnOpQr") == "sk-sy-AbCd")
        #expect(KeySecret.prefix(of: "short-token") == "")
    }

    @Test func tokenFromBearerOrXApiKey() {
        #expect(Authentication.token(in: HTTPHeaders([("Authorization", "Bearer sk-sy-abc")])) == "sk-sy-abc")
        #expect(Authentication.token(in: HTTPHeaders([("authorization", "bearer  sk-sy-abc ")])) == "sk-sy-abc")
        #expect(Authentication.token(in: HTTPHeaders([("x-api-key", "sk-sy-xyz")])) == "sk-sy-xyz")
        #expect(Authentication.token(in: HTTPHeaders([("Authorization", "Basic Zm9v")])) == nil)
        #expect(Authentication.token(in: HTTPHeaders([("Authorization", "Bearer ")])) == nil)
        #expect(Authentication.token(in: HTTPHeaders()) == nil)
    }
}

@Suite struct KeyRequestBodyTests {
    func blank() -> VirtualKey { VirtualKey(id: "key_0", hash: "h", prefix: "sk-sy-0000", disabled: false, createdAt: 1000, updatedAt: 1000) }

    @Test func allFieldsApply() throws {
        var key = blank()
        let body = #"{"name":"ci","user":"alice","team":"research","models":["gpt-4o","fast"],"routes":["/v1/chat/completions"],"metadata":{"env":"ci"},"expires_in":"30d","budget":{"limit":12.5,"period":"monthly"},"limits":{"rpm":60,"tpm":1000,"concurrency":2}}"#
        try KeyRequestBody.apply(Array(body.utf8), to: &key, now: 1000, patch: false)
        #expect(key.name == "ci" && key.user == "alice" && key.team == "research")
        #expect(key.models == ["gpt-4o", "fast"] && key.routes == ["/v1/chat/completions"])
        #expect(key.metadata?["env"] == "ci")
        #expect(key.expiresAt == Int64(1000 + 30 * 86_400))
        #expect(key.budget == SpendLimit(limit: 12_500_000, period: .monthly))
        #expect(key.limits == RateLimitSettings(requestsPerMinute: 60, tokensPerMinute: 1000, concurrency: 2))
        try KeyRequestBody.apply(Array(#"{"budget":null,"models":null,"disabled":true}"#.utf8), to: &key, now: 1000, patch: true)
        #expect(key.budget == nil && key.models == nil && key.disabled)
    }

    @Test("bad bodies are refused naming the field", arguments: [
        ("[1]", "The body must be a JSON object."),
        ("{", "The body is not valid JSON"),
        (#"{"nmae":"x"}"#, "Unknown field 'nmae'"),
        (#"{"disabled":true}"#, "Unknown field 'disabled'"),
        (#"{"models":[]}"#, "models must be a non-empty list"),
        (#"{"routes":["v1/chat"]}"#, "Each entry of routes must be a path prefix starting with '/'"),
        (#"{"expires_at":5}"#, "expires_at must be a Unix time in seconds, in the future."),
        (#"{"expires_in":"3w"}"#, "expires_in must be a duration"),
        (#"{"expires_in":"1d","expires_at":99999}"#, "Give expires_at or expires_in, not both."),
        (#"{"budget":{"limit":-1,"period":"daily"}}"#, "budget.limit must be a non-negative amount"),
        (#"{"budget":{"limit":1.0000001,"period":"daily"}}"#, "budget.limit must be a non-negative amount"),
        (#"{"budget":{"limit":1,"period":"weekly"}}"#, "budget.period must be daily, monthly or total."),
        (#"{"limits":{"rpm":0}}"#, "limits.rpm must be a whole number"),
        (#"{"limits":{"rps":1}}"#, "Unknown field 'limits.rps'"),
        (#"{"metadata":[1]}"#, "metadata must be a JSON object."),
        (#"{"user":""}"#, "user must be a non-empty string"),
    ])
    func refused(body: String, message: String) {
        var key = blank()
        do {
            try KeyRequestBody.apply(Array(body.utf8), to: &key, now: 1000, patch: false)
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.hasPrefix(message), "\(error.message)")
        }
    }

    @Test func money() {
        #expect(MicrosText.parse("10") == 10_000_000)
        #expect(MicrosText.parse("0.000001") == 1)
        #expect(MicrosText.parse("12.50") == 12_500_000)
        #expect(MicrosText.parse("1e3") == nil && MicrosText.parse("-1") == nil && MicrosText.parse("1.") == nil && MicrosText.parse(".5") == nil)
        #expect(MicrosText.render(12_500_000) == "12.5" && MicrosText.render(3_000_000) == "3" && MicrosText.render(1) == "0.000001")
    }
}

@Suite struct ClientIdentityTests {
    let key = ClientIdentity(caller: Caller(keyID: "key_1", keyPrefix: "sk-sy-1234"), models: ["gpt-4o", "fast"], routes: ["/v1/chat/", "/p/openai/"])

    @Test func modelsMatchTheNameAskedTheModelItResolvedToOrAnAliasOnTheWay() {
        #expect(key.allows(ModelResolution(requested: "gpt-4o", resolved: "gpt-4o", aliases: [])))
        #expect(key.allows(ModelResolution(requested: "smart", resolved: "gpt-4o", aliases: ["smart"])))  // an alias of an allowed model
        #expect(key.allows(ModelResolution(requested: "quick", resolved: "mini", aliases: ["quick", "fast"])))  // through an allowed alias
        #expect(!key.allows(ModelResolution(requested: "mini", resolved: "mini", aliases: [])))  // the model behind alias fast, by name
        #expect(key.lists("smart", resolved: "gpt-4o") && !key.lists("mini", resolved: nil))
        #expect(ClientIdentity.master.allows(ModelResolution(requested: "x", resolved: "x", aliases: [])))
    }

    @Test func passthroughAndBatchesNeedExplicitRoutesForAModelRestrictedKey() throws {
        try key.authorizeUncheckedModels(path: "/p/openai/v1/models")  // listed: "/p/openai/"
        #expect(throws: GatewayError.self) { try key.authorizeUncheckedModels(path: "/v1/batches") }
        let unrestricted = ClientIdentity(caller: key.caller, models: nil, routes: nil)
        try unrestricted.authorizeUncheckedModels(path: "/v1/batches")
        let batches = ClientIdentity(caller: key.caller, models: ["a"], routes: ["/v1/batches"])
        try batches.authorizeUncheckedModels(path: "/v1/batches/batch_1")
        let wide = ClientIdentity(caller: key.caller, models: ["a"], routes: ["/"])  // "/" is not an explicit listing
        #expect(throws: GatewayError.self) { try wide.authorizeUncheckedModels(path: "/p/openai/v1/models") }
    }

    @Test func routesArePathPrefixes() throws {
        try key.authorize(path: "/v1/chat/completions")
        try key.authorize(path: "/p/openai/v1/models")
        #expect(throws: GatewayError.self) { try key.authorize(path: "/v1/embeddings") }
        do { try key.authorize(ModelResolution(requested: "mini", resolved: "mini", aliases: [])) } catch {
            #expect(error.status == 403 && error.code == "model_not_allowed")
            #expect(error.message.contains("sk-sy-1234…"))
        }
    }
}

/// The registry on a real store file: what it serves is what the store holds, across a reopen.
@Suite struct KeyRegistryTests {
    /// An event loop running on a thread of its own (registry completions come back on it).
    func runningLoop() throws -> EventLoop {
        let loop = try EventLoop()
        Thread { loop.run() }.start()
        return loop
    }

    func wait<T: Sendable>(_ start: (@escaping @Sendable (T) -> Void) -> Void) -> T? {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        start { value in box.value = value; done.signal() }
        guard done.wait(timeout: .now() + 10) == .success else { return nil }
        return box.value
    }

    @Test func keysSurviveAReopenAndRotationAndDeletionAreDurable() throws {
        let file = ScratchFile()
        defer { file.remove() }
        let loop = try runningLoop()
        defer { loop.stop() }
        let secret = KeySecret.generate()
        let other = KeySecret.generate()
        var key = VirtualKey(id: KeySecret.newID(), hash: secret.hash, prefix: secret.prefix, disabled: false, createdAt: 100, updatedAt: 100)
        key.user = "alice"
        key.models = ["gpt-4o"]
        key.budget = SpendLimit(limit: 5_000_000, period: .daily)
        key.limits = RateLimitSettings(requestsPerMinute: 60)
        key.metadata = JSONObject([("env", .string("ci"))])
        let rotated = VirtualKey(id: key.id, hash: other.hash, prefix: other.prefix, user: "alice", models: ["gpt-4o"], metadata: key.metadata,
                                 budget: key.budget, limits: key.limits, disabled: false, createdAt: 100, updatedAt: 200, rotatedAt: 200)
        let original = key
        let doomed = VirtualKey(id: KeySecret.newID(), hash: KeySecret.generate().hash, prefix: "sk-sy-dddd", disabled: true, createdAt: 101, updatedAt: 101)
        do {
            let store = try Store(StoreOptions(path: file.path))
            let registry = try KeyRegistry.load(store: store)
            #expect(registry.list().isEmpty)
            let created: Result<VirtualKey, GatewayError>? = wait { done in loop.execute { registry.create(original, on: loop, then: done) } }
            #expect(try created?.get() == key)
            _ = wait { done in loop.execute { registry.create(doomed, on: loop, then: done) } } as Result<VirtualKey, GatewayError>?
            #expect(try registry.key(hash: secret.hash) == key && registry.activeCount(now: 150) == 1)
            let replaced: Result<VirtualKey, GatewayError>? = wait { done in loop.execute { registry.replace(original, with: rotated, on: loop, then: done) } }
            #expect(try replaced?.get() == rotated)
            #expect(try registry.key(hash: secret.hash) == nil)  // the old secret stops at once
            let deleted: Result<Void, GatewayError>? = wait { done in loop.execute { registry.delete(doomed, on: loop, then: done) } }
            #expect((try? deleted?.get()) != nil)
            store.close()
        }
        let store = try Store(StoreOptions(path: file.path))
        defer { store.close() }
        let reopened = try KeyRegistry.load(store: store)
        #expect(reopened.list() == [rotated])
        #expect(try reopened.key(hash: other.hash) == rotated && reopened.key(hash: secret.hash) == nil)
        #expect(reopened.key(id: doomed.id) == nil)
        #expect(reopened.list(user: "alice").count == 1 && reopened.list(team: "x").isEmpty)
        // Only the hash is stored: the secret's bytes are nowhere in the file.
        let bytes = try String(contentsOfFile: file.path, encoding: .isoLatin1)
        #expect(!bytes.contains(other.secret) && !bytes.contains(secret.secret))
    }

    @Test func aFailedWriteLeavesTheRegistryAsItWas() throws {
        let file = ScratchFile()
        defer { file.remove() }
        let loop = try runningLoop()
        defer { loop.stop() }
        let store = try Store(StoreOptions(path: file.path))
        let registry = try KeyRegistry.load(store: store)
        let key = VirtualKey(id: "key_0000000000000001", hash: KeySecret.generate().hash, prefix: "sk-sy-aaaa", disabled: false, createdAt: 1, updatedAt: 1)
        store.close()
        let created: Result<VirtualKey, GatewayError>? = wait { done in loop.execute { registry.create(key, on: loop, then: done) } }
        #expect(throws: GatewayError.self) { try created?.get() }
        #expect(try registry.key(id: key.id) == nil && registry.key(hash: key.hash) == nil)
    }
}
