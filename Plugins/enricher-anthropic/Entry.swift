import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, anthropicEnricherDefinition)
}

let anthropicEnricherDefinition = PluginDefinition.enricher(
    AnthropicEnricher.self,
    id: "dev.switchyard.enricher.anthropic",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["enricher"],"interfaces":["switchyard.enricher/1"],"toolchain":"swift","apis":["anthropic"],\#
    "config_schema":{"type":"object","additionalProperties":false,"properties":{}}}
    """#
)
