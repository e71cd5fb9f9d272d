import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, blocklistDefinition)
}

let blocklistDefinition = PluginDefinition.guardrail(
    BlocklistGuardrail.self,
    id: "dev.switchyard.guardrail.blocklist",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["guardrail"],"interfaces":["switchyard.guardrail/1"],"toolchain":"swift",\#
    "config_schema":{"type":"object","additionalProperties":false,"required":["words"],"properties":{\#
    "words":{"type":"array","minItems":1,"description":"Words and phrases to block, matched case-insensitively on word boundaries.",\#
    "items":{"type":"string","minLength":1,"maxLength":256,"pattern":"\\S"}},\#
    "action":{"enum":["reject","redact"],"default":"reject","description":"reject: the request fails with a 400; redact: the text is replaced."},\#
    "placeholder":{"type":"string","default":"[redacted]","description":"What a redacted match becomes."},\#
    "message":{"type":"string","minLength":1,"description":"The client's error message when a request is rejected."}}}}
    """#
)
