import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, systemPromptDefinition)
}

let systemPromptDefinition = PluginDefinition.guardrail(
    SystemPromptGuardrail.self,
    id: "dev.switchyard.guardrail.system-prompt",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["guardrail"],"interfaces":["switchyard.guardrail/1"],"toolchain":"swift",\#
    "config_schema":{"type":"object","additionalProperties":false,"required":["text"],"properties":{\#
    "mode":{"enum":["prepend","append","replace"],"default":"prepend",\#
    "description":"prepend: a system message first; append: after the leading system/developer messages; replace: instead of every system/developer message."},\#
    "text":{"type":"string","minLength":1,"description":"The system message's content."}}}}
    """#
)
