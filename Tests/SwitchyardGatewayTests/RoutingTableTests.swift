import SwitchyardCore
import Testing
@testable import SwitchyardGateway

@Suite struct RoutingTableTests {
    let table = RoutingTable(
        providers: [
            .init(name: "primary", plugin: "openai", models: ["gpt-4o", "shared"]),
            .init(name: "backup", plugin: "openai-b", models: ["shared"]),
            .init(name: "local", plugin: "vllm", models: ["*"]),
        ],
        aliases: ["fast": "gpt-4o", "chain": "fast", "loop-a": "loop-b", "loop-b": "loop-a"])

    @Test func exactModelsComeFirstThenWildcards() throws {
        let (resolution, attempts) = try table.resolve("shared")
        #expect(resolution == ModelResolution(requested: "shared", resolved: "shared", aliases: []))
        #expect(attempts.map(\.provider) == ["primary", "backup", "local"])
        #expect(attempts.allSatisfy { $0.upstreamModel == "shared" })
    }

    @Test func aliasesAreFollowedAndRecorded() throws {
        let (resolution, attempts) = try table.resolve("chain")
        #expect(resolution.resolved == "gpt-4o")
        #expect(resolution.aliases == ["chain", "fast"])
        #expect(attempts.first == Attempt(provider: "primary", plugin: "openai", upstreamModel: "gpt-4o"))
    }

    @Test func aliasCyclesAreAnError() {
        #expect(throws: GatewayError.self) { try table.resolve("loop-a") }
    }

    @Test func unknownModelIsModelNotFoundListingWhatExists() {
        let strict = RoutingTable(providers: [.init(name: "p", plugin: "x", models: ["a", "b"])], aliases: ["c": "a"])
        do {
            _ = try strict.resolve("nope")
            Issue.record("resolved an unknown model")
        } catch {
            #expect(error.status == 404)
            #expect(error.code == "model_not_found")
            #expect(error.message.contains("'nope'") && error.message.contains("a, b, c"))
        }
    }

    @Test func modelListHasServedModelsOnceThenAliases() {
        #expect(table.modelIDs.map(\.id) == ["gpt-4o", "shared", "chain", "fast", "loop-a", "loop-b"])
    }
}
