import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, anthropicDefinition)
}

let anthropicDefinition = PluginDefinition.provider(
    AnthropicProvider.self,
    id: "dev.switchyard.provider.anthropic",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["provider"],"interfaces":["switchyard.provider/1"],"operations":["chat_completions","messages","count_tokens","batches"],"batch_discount":0.5,\#
    "toolchain":"swift","config_schema":{"type":"object","additionalProperties":false,"properties":{\#
    "base_url":{"type":"string","description":"Upstream base URL up to /v1, e.g. https://api.anthropic.com/v1"},\#
    "api_key_env":{"type":["string","null"],"description":"Environment variable holding the API key (sent as x-api-key); null or empty for keyless upstreams"},\#
    "anthropic_version":{"type":"string","description":"anthropic-version header, default 2023-06-01"},\#
    "beta":{"type":"array","items":{"type":"string"},"description":"anthropic-beta flags, sent comma-separated"},\#
    "default_max_tokens":{"type":"integer","minimum":1,"description":"max_tokens when the request sets neither max_tokens nor max_completion_tokens (default 4096)"},\#
    "headers":{"type":"object","additionalProperties":{"type":"string"}}}}}
    """#
)
