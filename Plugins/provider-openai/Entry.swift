import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, openAIDefinition)
}

let openAIDefinition = PluginDefinition.provider(
    OpenAIProvider.self,
    id: "dev.switchyard.provider.openai",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["provider"],"interfaces":["switchyard.provider/1"],"operations":["chat_completions","embeddings","responses","files","batches"],"batch_discount":0.5,\#
    "toolchain":"swift","config_schema":{"type":"object","additionalProperties":false,"properties":{\#
    "base_url":{"type":"string","description":"Upstream base URL up to /v1, e.g. https://api.openai.com/v1; for Azure the resource endpoint https://NAME.openai.azure.com"},\#
    "flavor":{"enum":["openai","azure"],"description":"azure: deployment URLs with api-version and the api-key header"},\#
    "api_version":{"type":"string","description":"Azure api-version for chat and embeddings (default 2024-10-21)"},\#
    "stream_usage":{"type":"boolean","description":"Ask streaming upstreams for usage even when the client did not (default true)"},\#
    "api_key_env":{"type":["string","null"],"description":"Environment variable holding the API key; null or empty for keyless upstreams"},\#
    "organization":{"type":"string"},"project":{"type":"string"},\#
    "headers":{"type":"object","additionalProperties":{"type":"string"}}}}}
    """#
)
