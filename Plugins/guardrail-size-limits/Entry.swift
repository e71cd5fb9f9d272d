import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, sizeLimitsDefinition)
}

let sizeLimitsDefinition = PluginDefinition.guardrail(
    SizeLimitsGuardrail.self,
    id: "dev.switchyard.guardrail.size-limits",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["guardrail"],"interfaces":["switchyard.guardrail/1"],"toolchain":"swift",\#
    "config_schema":{"type":"object","additionalProperties":false,"properties":{\#
    "max_input_characters":{"type":"integer","minimum":1,"description":"Most characters (Unicode scalars) of input text."},\#
    "max_input_tokens":{"type":"integer","minimum":1,"description":"Most input tokens, estimated: ceil(UTF-8 bytes / 4) per text + 4 per message."},\#
    "max_messages":{"type":"integer","minimum":1,"description":"Most messages in a chat request."},\#
    "max_output_tokens":{"type":"integer","minimum":1,"description":"Cap on max_tokens / max_completion_tokens, set when the request asks for more or for nothing."}},\#
    "anyOf":[{"required":["max_input_characters"]},{"required":["max_input_tokens"]},{"required":["max_messages"]},{"required":["max_output_tokens"]}]}}
    """#
)
