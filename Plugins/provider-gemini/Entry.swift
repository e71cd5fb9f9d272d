import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, geminiDefinition)
}

let geminiDefinition = PluginDefinition.provider(
    GeminiProvider.self,
    id: "dev.switchyard.provider.gemini",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["provider"],"interfaces":["switchyard.provider/1"],"operations":["chat_completions","embeddings","count_tokens"],\#
    "toolchain":"swift","config_schema":{"type":"object","additionalProperties":false,"properties":{\#
    "base_url":{"type":"string","description":"Upstream base URL up to the API version, e.g. https://generativelanguage.googleapis.com/v1beta"},\#
    "api_key_env":{"type":["string","null"],"description":"Environment variable holding the API key (sent as x-goog-api-key); null or empty for keyless test upstreams"},\#
    "headers":{"type":"object","additionalProperties":{"type":"string"}}}}}
    """#
)
