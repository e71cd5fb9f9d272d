import Foundation
import SwitchyardJSON
import SwitchyardPlugins
import Testing

@testable import SwitchyardConfig

/// The schema is checked with the host's own checker for plugin config schemas
/// (`SwitchyardPlugins.ConfigSchema`): one implementation of the JSON Schema subset, exercised
/// here by a much larger schema than any plugin manifest has.

@Suite("config/schema/switchyard.schema.json")
struct SchemaTests {
    static let schemaPath = packageRoot.appendingPathComponent("config/schema/switchyard.schema.json").path

    func schemaJSON() throws -> JSONValue {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.schemaPath)))
        #expect(try JSONSerialization.jsonObject(with: Data(bytes)) is [String: Any], "valid JSON")
        return try JSONValue.parse(bytes)
    }

    func schema() throws -> ConfigSchema {
        try ConfigSchema(try schemaJSON())
    }

    /// A YAML document as JSON, typed the way the loader hands a plugin its `config:`.
    func document(_ yaml: String) throws -> JSONValue {
        guard let node = try YAMLReader.parse(Array(yaml.utf8), sourceName: "doc.yaml") else { return .null }
        return try JSONValue.parse(try JSONRendering.render(node, path: "", file: "doc.yaml"))
    }

    @Test("is draft 2020-12 and lists exactly the keys the loader accepts")
    func keysMatchLoader() throws {
        let schema = try schemaJSON()
        #expect(schema["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
        let properties = try #require(schema["properties"])
        #expect(properties.objectValue?.keys == ConfigLoader.sections)
        #expect(properties["server"]?["properties"]?.objectValue?.keys == ServerSection.keys)
        #expect(properties["plugins"]?["items"]?["properties"]?.objectValue?.keys == PluginsSection.keys)
        #expect(properties["providers"]?["items"]?["properties"]?.objectValue?.keys == ProvidersSection.keys)
        #expect(properties["plugins"]?["items"]?["required"] == .array([.string("name"), .string("path")]))
        #expect(properties["providers"]?["items"]?["required"] == .array([.string("name"), .string("plugin"), .string("models")]))
        let guardrail = properties["guardrails"]?["items"]
        #expect(guardrail?["properties"]?.objectValue?.keys == GuardrailsSection.keys)
        #expect(guardrail?["properties"]?["applies_to"]?["properties"]?.objectValue?.keys == GuardrailsSection.scopeKeys)
        #expect(guardrail?["required"] == .array([.string("plugin")]))
        let enricher = properties["enrichers"]?["items"]
        #expect(enricher?["properties"]?.objectValue?.keys == EnrichersSection.keys)
        #expect(enricher?["required"] == .array([.string("plugin")]))
        #expect(properties["store"]?["properties"]?.objectValue?.keys == StoreSection.keys)
        #expect(properties["store"]?["properties"]?["responses"]?["properties"]?.objectValue?.keys == StoreSection.responsesKeys)
        #expect(properties["files"]?["properties"]?.objectValue?.keys == FilesSection.keys)
        #expect(properties["admin"]?["properties"]?.objectValue?.keys == AdminSection.keys)
        #expect(properties["keys"]?["properties"]?.objectValue?.keys == KeysSection.keys)
        #expect(properties["budgets"]?["properties"]?.objectValue?.keys == BudgetsSection.keys)
        #expect(properties["rate_limits"]?["properties"]?.objectValue?.keys == RateLimitsSection.keys)
        #expect(properties["redis"]?["properties"]?.objectValue?.keys == RedisSection.keys)
        #expect(properties["usage"]?["properties"]?.objectValue?.keys == UsageSection.keys)
        #expect(properties["audit"]?["properties"]?.objectValue?.keys == AuditSection.keys)
    }

    @Test("accepts every example and the default configuration, as written (before interpolation)")
    func acceptsExamples() throws {
        let schema = try schema()
        for path in ExampleFilesTests.examples {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(schema.violation(in: try document(text)) == nil, "\(path)")
        }
        #expect(schema.violation(in: try document(defaultConfigYAML)) == nil)
    }

    /// Documents the loader rejects on shape alone; the schema must reject them too.
    @Test("rejects what the loader rejects", arguments: [
        "server: {prot: 1}",
        "server: {port: 70000}",
        "server: {port: \"8080\"}",
        "server: {loops: -1}",
        "server: {max_body_bytes: 0}",
        "server: {max_body_bytes: 32mib}",
        "server: {header_timeout: 10sec}",
        "server: {idle_timeout: 0s}",
        "server: {upstream_connect_timeout: 0}",
        "server: {upstream_idle_timeout: soon}",
        "server: {max_sse_event_bytes: 0}",
        "providers: [{name: a, plugin: b, models: [m], timeouts: {conect: 1s}}]",
        "providers: [{name: a, plugin: b, models: [m], timeouts: {connect: 0s}}]",
        "providers: [{name: a, plugin: b, models: [m], timeouts: 30s}]",
        "routing: {}",
        "plugins: [{name: Echo, path: /x.so}]",
        "plugins: [{name: x, path: lib/x.so}]",
        "plugins: [{name: x}]",
        "plugins: [{name: x, path: /x.so, sha256: abc}]",
        "plugins: [{name: x, path: /x.so, enabled: yes}]",
        "plugins: [{name: x, path: /x.so, confg: {}}]",
        "providers: [{name: a, plugin: b, models: []}]",
        "providers: [{name: a, plugin: b, models: [m, m]}]",
        "providers: [{name: a, plugin: b, models: [\"a b\"]}]",
        "providers: [{name: a, plugin: b}]",
        "aliases: {'*': x}",
        "aliases: [x]",
        "guardrails: {}",
        "guardrails: [{name: x}]",
        "guardrails: [{plugin: p, name: PII}]",
        "guardrails: [{plugin: p, timeout: 1s}]",
        "guardrails: [{plugin: p, phases: [chunk]}]",
        "guardrails: [{plugin: p, phases: []}]",
        "guardrails: [{plugin: p, phases: [request, request]}]",
        "guardrails: [{plugin: p, phases: request}]",
        "guardrails: [{plugin: p, applies_to: [m]}]",
        "guardrails: [{plugin: p, applies_to: {model: [m]}}]",
        "guardrails: [{plugin: p, applies_to: {routes: [chat]}}]",
        "guardrails: [{plugin: p, applies_to: {models: [m, m]}}]",
        "guardrails: [{plugin: p, order: high}]",
        "guardrails: [{plugin: p, on_error: ignore}]",
        "guardrails: [{plugin: p, deadline: 0}]",
        "guardrails: [{plugin: p, deadline: soon}]",
        "guardrails: [{plugin: p, enabled: yes}]",
        "enrichers: {}",
        "enrichers: [{name: x}]",
        "enrichers: [{plugin: p, name: Usage}]",
        "enrichers: [{plugin: p, applies_to: {providers: [a]}}]",
        "enrichers: [{plugin: p, providers: a}]",
        "enrichers: [{plugin: p, providers: [a, a]}]",
        "enrichers: [{plugin: p, deadline: 0}]",
        "enrichers: [{plugin: p, deadline: soon}]",
        "enrichers: [{plugin: p, enabled: yes}]",
        "store: {responses: {max_count: 0}}",
        "store: {responses: {max_age: 30d}}",
        "store: {responses: {max_cnt: 5}}",
    ])
    func rejectsInvalid(yaml: String) throws {
        #expect(errorText(yaml, env: [:]) != nil)
        #expect(try schema().violation(in: try document(yaml)) != nil)
    }

    @Test("accepts interpolated values and the empty enabled flag", arguments: [
        "server: {port: '${PORT:-8080}', header_timeout: 1.5, shutdown_grace: 0, max_body_bytes: 512KiB}",
        "plugins: [{name: x, path: '${DIR}/x.so', enabled: , config: [1, {a: b}]}]",
        "aliases: {fast: m}",
        "server: {upstream_timeout: 0, upstream_first_byte_timeout: 0s, upstream_idle_timeout: 2m, max_upstream_response_bytes: 64MiB}",
        "providers: [{name: a, plugin: b, models: [m], timeouts: {connect: 2s, first_byte: 60s, idle: 30s, total: 0}}]",
        "guardrails: [{name: pii-strict, plugin: pii, phases: [request, response, stream], applies_to: {models: [m], providers: [a], routes: [chat_completions, responses, messages, embeddings]}, order: 10, on_error: fail_open, deadline: 500ms, enabled: true}]",
        "guardrails: [{plugin: p, name: , phases: , applies_to: {models: [], providers: , routes: }, order: -3, on_error: '${ON_ERROR:-fail_open}', deadline: 1.5, enabled: }]",
        "guardrails: [{plugin: p, applies_to: , order: '${ORDER}', deadline: '${DEADLINE:-2s}'}]",
        "guardrails:",
        "enrichers: [{name: openai-usage, plugin: usage, providers: [a, b], deadline: 20ms, enabled: true}]",
        "enrichers: [{plugin: p, name: , providers: , deadline: '${DEADLINE:-5ms}', enabled: }]",
        "enrichers:",
        "store: {responses: {max_age: 720h, max_count: '${MAX_RESPONSES:-1000}'}}",
        "",
    ])
    func acceptsValid(yaml: String) throws {
        #expect(try schema().violation(in: try document(yaml)) == nil)
    }
}
