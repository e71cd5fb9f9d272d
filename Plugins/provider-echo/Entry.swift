import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, echoDefinition)
}

let echoDefinition = PluginDefinition.provider(
    EchoProvider.self,
    id: "dev.switchyard.provider.echo",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["provider"],"interfaces":["switchyard.provider/1"],"operations":["chat_completions"],\#
    "answers_locally":true,"toolchain":"swift",\#
    "config_schema":{"type":"object","additionalProperties":false,\#
    "properties":{"prefix":{"type":"string","description":"Text put before every echoed reply."}}}}
    """#
)
