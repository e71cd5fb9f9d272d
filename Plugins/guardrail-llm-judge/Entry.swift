import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, llmJudgeDefinition)
}

let llmJudgeDefinition = PluginDefinition.guardrail(
    LLMJudge.self,
    id: "dev.switchyard.guardrail.llm-judge",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["guardrail"],"interfaces":["switchyard.guardrail/1"],"phases":["request","response"],"toolchain":"swift",\#
    "config_schema":{"type":"object","additionalProperties":false,"required":["model"],"properties":{\#
    "model":{"type":"string","minLength":1,"description":"Model or alias this gateway serves, asked through the gateway's own routing"},\#
    "instructions":{"type":"string","minLength":1,"description":"The policy (the judge's system message); it must ask for {\"allow\": true|false, \"reason\": \"...\"} or a leading ALLOW/BLOCK. Default: a general safety policy"},\#
    "max_characters":{"type":"integer","minimum":100,"description":"Most characters of conversation sent to the judge, newest messages first (default 16000)"},\#
    "message":{"type":"string","description":"What the client reads on a block (default \"The request was blocked by policy.\")"},\#
    "show_reason":{"type":"boolean","description":"Append the judge's reason to message (default false)"},\#
    "json_mode":{"type":"boolean","description":"Send response_format {\"type\":\"json_object\"} (default false)"},\#
    "timeout_ms":{"type":"integer","minimum":1,"maximum":600000,"description":"Bound on the judge request (default 10000)"}}}}
    """#
)
