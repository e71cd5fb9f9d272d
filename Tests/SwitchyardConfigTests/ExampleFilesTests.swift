import Foundation
import Testing

@testable import SwitchyardConfig

@Suite("config/examples")
struct ExampleFilesTests {
    static let examples: [String] = {
        let directory = packageRoot.appendingPathComponent("config/examples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0).path }
    }()

    @Test("there are examples to check")
    func present() {
        #expect(Self.examples.count >= 3)
    }

    @Test("every example loads, with and without optional keys", arguments: examples)
    func loads(path: String) throws {
        let pin = String(repeating: "0", count: 64)
        let bare = try ConfigLoader.load(path: path, environment: .values(["SWITCHYARD_PLUGIN_DIR": "/p", "OPENAI_PLUGIN_SHA256": pin]))
        let full = try ConfigLoader.load(
            path: path,
            environment: .values(["SWITCHYARD_PLUGIN_DIR": "/p", "OPENAI_PLUGIN_SHA256": pin, "OPENAI_API_KEY": "sk-x", "PORT": "8181"]))
        #expect(!bare.providers.isEmpty)
        #expect(full.providers.count >= bare.providers.count)
        for plugin in full.plugins {
            #expect(try JSONSerialization.jsonObject(with: Data(plugin.configJSON)) is [String: Any])
        }
    }

    @Test("openai-compatible: one plugin library, three instances")
    func openAICompatible() throws {
        let path = packageRoot.appendingPathComponent("config/examples/openai-compatible.yaml").path
        let config = try ConfigLoader.load(path: path, environment: .values(["SWITCHYARD_PLUGIN_DIR": "/p", "OPENAI_API_KEY": "k"]))
        #expect(config.plugins.map(\.name) == ["openai", "vllm", "ollama", "switchyard-batch-models"])  // + the built-in batch preparer
        #expect(Set(config.plugins.map(\.path)) == ["/p/libProviderOpenAI.so", "/p/libBatchModels.so"])
        #expect(String(decoding: config.plugins[2].configJSON, as: UTF8.self)
            == #"{"base_url":"http://127.0.0.1:11434/v1","stream_usage":true}"#)
        #expect(config.server.upstreamTimeouts.firstByte == .seconds(600))
        let ollama = try #require(config.provider(named: "ollama"))
        #expect(ollama.timeouts == UpstreamTimeouts(connect: .milliseconds(500), firstByte: .seconds(600), idle: .seconds(60), total: .zero))
        #expect(String(decoding: config.plugins[0].configJSON, as: UTF8.self)
            == #"{"base_url":"https://api.openai.com/v1","api_key_env":"OPENAI_API_KEY","headers":{"X-Title":"switchyard"}}"#)
        #expect(config.aliases["local"] == "meta-llama/Llama-3.1-8B-Instruct")
        #expect(config.aliases["fast"] == "gpt-4o-mini")
    }

    @Test("pinned-plugins: merge keys share plugin settings")
    func pinned() throws {
        let path = packageRoot.appendingPathComponent("config/examples/pinned-plugins.yaml").path
        let config = try ConfigLoader.load(
            path: path,
            environment: .values(["SWITCHYARD_PLUGIN_DIR": "/opt/switchyard/plugins", "OPENAI_PLUGIN_SHA256": String(repeating: "0", count: 64)]))
        #expect(config.plugins.map(\.name) == ["openai-eu", "openai-us", "switchyard-batch-models"])
        #expect(config.plugins[1].path == "/opt/switchyard/plugins/libProviderOpenAI.so")
        #expect(config.plugins[1].sha256 == String(repeating: "0", count: 64))
        #expect(String(decoding: config.plugins[1].configJSON, as: UTF8.self)
            == #"{"base_url":"https://us.api.example.com/v1","api_key_env":"US_API_KEY"}"#)
    }
}
