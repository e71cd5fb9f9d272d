import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, piiDefinition)
}

let piiDefinition = PluginDefinition.guardrail(
    PIIGuardrail.self,
    id: "dev.switchyard.guardrail.pii",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["guardrail"],"interfaces":["switchyard.guardrail/1"],\#
    "toolchain":"swift",\#
    "config_schema":{"type":"object","additionalProperties":false,"$defs":{\#
    "detector":{"enum":["email","phone","card","iban","anthropic_key","openai_key","google_api_key",\#
    "aws_access_key","github_token","slack_token","bearer_token"]}},\#
    "properties":{\#
    "action":{"enum":["redact","reject"],"default":"redact",\#
    "description":"redact: replace each finding with the placeholder; reject: fail the call with 400 pii_detected."},\#
    "placeholder":{"type":"string","default":"[REDACTED:{type}]","description":"{type} becomes the detector's name."},\#
    "detectors":{"description":"Built-in detectors: an object of booleans (unlisted ones stay on) or a list (exactly those).",\#
    "anyOf":[{"type":"object","propertyNames":{"$ref":"#/$defs/detector"},"additionalProperties":{"type":"boolean"}},\#
    {"type":"array","items":{"$ref":"#/$defs/detector"},"uniqueItems":true}]},\#
    "custom":{"type":"array","description":"Extra detectors: PCRE2 patterns (UTF mode), compiled at startup.",\#
    "items":{"type":"object","additionalProperties":false,"required":["name","pattern"],"properties":{\#
    "name":{"type":"string","pattern":"^[A-Za-z0-9_-]{1,64}$"},"pattern":{"type":"string","minLength":1}}}},\#
    "stream_hold_words":{"type":"boolean","default":true,\#
    "description":"Chunk phase: also hold back a trailing word that could become an email's local part."}}}}
    """#
)
