import Foundation
import Testing

@testable import SwitchyardConfig

/// The intended content of config/switchyard.yaml (owned by the gateway helper), kept here so
/// the loader is tested against it without depending on that file's state on this branch.
let defaultConfigYAML = """
    server:
      host: 127.0.0.1          # default 127.0.0.1
      port: 8080               # default 8080, 0..65535
      loops: 0                 # 0 = one per core
      max_body_bytes: 33554432 # also accepts "32MiB", "512KiB"
      header_timeout: 10s
      body_timeout: 30s
      idle_timeout: 60s
      shutdown_grace: 30s
      upstream_connect_timeout: 5s
      upstream_first_byte_timeout: 300s
      upstream_idle_timeout: 300s
      upstream_timeout: 0      # the total; 0 = none
      max_upstream_response_bytes: 64MiB
      max_sse_event_bytes: 16MiB
    plugins:
      - name: echo
        path: ${SWITCHYARD_PLUGIN_DIR}/libProviderEcho.so
        config: {}
      - name: openai
        path: ${SWITCHYARD_PLUGIN_DIR}/libProviderOpenAI.so
        enabled: ${OPENAI_API_KEY:+true}
        config:
          base_url: https://api.openai.com/v1
          api_key_env: OPENAI_API_KEY
    providers:
      - name: echo
        plugin: echo
        models: [echo-1]
      - name: openai
        plugin: openai
        models: [gpt-4o, gpt-4o-mini]
        enabled: ${OPENAI_API_KEY:+true}
    aliases:
      fast: gpt-4o-mini
      default: echo-1

    """

/// Parses `yaml` as `test.yaml` with exactly the variables given.
func parse(_ yaml: String, env: [String: String] = [:]) throws(ConfigError) -> GatewayConfig {
    try ConfigLoader.parse(yaml: Array(yaml.utf8), sourceName: "test.yaml", environment: .values(env))
}

/// The error `yaml` fails with, as an operator would read it (nil if it parses).
func errorText(_ yaml: String, env: [String: String] = [:]) -> String? {
    do {
        _ = try parse(yaml, env: env)
        return nil
    } catch {
        return error.description
    }
}

/// Reads one YAML document with the bare reader.
func readYAML(_ yaml: String) throws(ConfigError) -> YAMLNode? {
    try YAMLReader.parse(Array(yaml.utf8), sourceName: "test.yaml")
}

/// The root of the package, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
