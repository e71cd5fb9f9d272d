import CSwitchyardPlugin
import Testing
@testable import SwitchyardPlugins

/// The host's side of `sy_provider_v1.passthrough` (`ProviderPlugin.passthrough`), through a C
/// fixture built as a real .so (Fixtures/passthrough_provider.c): what the hook is lent, what it
/// may not do there, and a table from before the hook.
@Suite struct ProviderPassthroughTests {
    static func provider(_ name: String, defines: [String] = []) throws -> (ProviderPlugin, PluginInstance) {
        let library = try PluginLibrary.load(path: try Fixtures.plugin("passthrough_provider", defines: defines), entry: name)
        let instance = try library.instantiate(name: name, configJSON: Array("{}".utf8))
        let table = try #require(instance.interface(SY_IFACE_PROVIDER))
        return (try #require(ProviderPlugin(name: name, instance: instance.pluginInstance, table: table)), instance)
    }

    static var call: CallDescription { CallDescription(operation: SY_OP_PASSTHROUGH, stream: false, attempt: 0, requestID: "req-pt", upstreamModel: "") }

    @Test func theHookSetsTheURLAndItsHeadersAndTheHostKeepsTheMethodWithNoBody() throws {
        let (provider, instance) = try Self.provider("pt-url")
        defer { withExtendedLifetime(instance) {} }
        #expect(provider.takesPassthrough)
        let request = try #require(provider.passthrough(Self.call, method: "DELETE", path: "/v1/files/f-1?purge=1")).get()
        #expect(request.isPassthrough)
        #expect(request.method == "DELETE")
        #expect(request.url == "http://127.0.0.1:9/v1/files/f-1?purge=1")
        #expect(request.body.isEmpty)
        #expect(request.headers.map(\.name) == ["x-fixture-key", "X-Seen"])
        // The hook saw SY_OP_PASSTHROUGH, no canonical request, and the client's method.
        #expect(request.headers.last?.value == "op=\(SY_OP_PASSTHROUGH) request=0 method=DELETE")
        #expect(request.headers.contains { $0.name.lowercased() == "x-fixture-key" } && request.headers.contains { $0.name.lowercased() == "x-seen" })
        #expect(!request.headers.contains { $0.name.lowercased() == "x-fixture" } && !request.headers.contains { $0.name.lowercased() == "authorization" })
        #expect(PluginHandles.liveOnThisThread == 0)
    }

    @Test(arguments: [("/set-method", "http_out_set_method"), ("/append-body", "http_out_append_body")])
    func settingTheMethodOrTheBodyIsRefusedAndFailsTheCall(_ path: String, _ function: String) throws {
        let (provider, instance) = try Self.provider("pt-refuse")
        defer { withExtendedLifetime(instance) {} }
        // The fixture returns SY_OK only when the host answered SY_E_INVALID; the call fails anyway.
        guard case .failure(let failure) = try #require(provider.passthrough(Self.call, method: "POST", path: path)) else {
            Issue.record("\(function) in passthrough was not refused")
            return
        }
        #expect(failure.status == SY_E_INTERNAL)
        #expect(failure.message == "provider pt-refuse built an invalid passthrough request: \(function) is refused in passthrough "
            + (function == "http_out_set_method" ? "(the host forwards the client's method)" : "(the host streams the client's body)"))
    }

    @Test func noURLIsAFailureNamingThePlugin() throws {
        let (provider, instance) = try Self.provider("pt-nourl")
        defer { withExtendedLifetime(instance) {} }
        guard case .failure(let failure) = try #require(provider.passthrough(Self.call, method: "GET", path: "/no-url")) else {
            Issue.record("a passthrough with no URL was accepted")
            return
        }
        #expect(failure.message == "provider pt-nourl set no upstream URL in passthrough")
    }

    @Test func thePluginsOwnFailureIsPassedOn() throws {
        let (provider, instance) = try Self.provider("pt-fail")
        defer { withExtendedLifetime(instance) {} }
        guard case .failure(let failure) = try #require(provider.passthrough(Self.call, method: "GET", path: "/fail")) else {
            Issue.record("the plugin's failure was lost")
            return
        }
        #expect(failure.status == SY_E_UNSUPPORTED && failure.httpStatus == 404 && failure.message == "no such route")
    }

    /// Checked before the plugin runs: the gateway's router should never hand these over.
    @Test(arguments: [("GET", "v1/models"), ("GET", ""), ("G ET", "/v1/models"), ("", "/v1/models")])
    func aBadMethodOrPathIsRefusedBeforeTheHook(_ method: String, _ path: String) throws {
        let (provider, instance) = try Self.provider("pt-bad")
        defer { withExtendedLifetime(instance) {} }
        guard case .failure(let failure) = try #require(provider.passthrough(Self.call, method: method, path: path)) else {
            Issue.record("\(method) \(path) was accepted")
            return
        }
        #expect(failure.status == SY_E_INVALID && failure.httpStatus == 400)
    }

    @Test func aTableThatEndsBeforeTheHookTakesNoPassthrough() throws {
        let (provider, instance) = try Self.provider("pt-short", defines: ["FIXTURE_SHORT_TABLE"])
        defer { withExtendedLifetime(instance) {} }
        #expect(!provider.takesPassthrough)
        #expect(provider.passthrough(Self.call, method: "GET", path: "/v1/models") == nil)
    }

    /// A prepare builder is not in passthrough mode: method and body are the plugin's to set.
    @Test func aPrepareBuilderStillTakesMethodAndBody() {
        let builder = UpstreamRequestBuilder()
        #expect(!builder.isPassthrough)
        #expect(builder.setMethod(sy_bytes(ptr: nil, len: 0)) == SY_E_INVALID)  // empty is not a token
        let put = Array("PUT".utf8)
        #expect(put.withUnsafeBufferPointer { builder.setMethod(sy_bytes(ptr: $0.baseAddress, len: $0.count)) } == SY_OK)
        let passthrough = UpstreamRequestBuilder(passthroughMethod: "GET")
        #expect(put.withUnsafeBufferPointer { passthrough.setMethod(sy_bytes(ptr: $0.baseAddress, len: $0.count)) } == SY_E_INVALID)
        #expect(passthrough.method == "GET")
        passthrough.reset()
        #expect(!passthrough.isPassthrough && passthrough.method == "POST")
    }
}
