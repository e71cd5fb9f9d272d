import SwitchyardPluginSDK

/// The library's only export (see plugin-sdk/template/plugin.version).
@_cdecl("sy_plugin_entry")
public func syPluginEntry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
    PluginExport.entry(negotiate, batchModelsDefinition)
}

let batchModelsDefinition = PluginDefinition.batchPreparer(
    BatchModels.self,
    id: "dev.switchyard.batch.models",
    version: "1.0.0",
    manifest: #"""
    {"kinds":["batch"],"interfaces":["switchyard.batch/1"],"toolchain":"swift",\#
    "config_schema":{"type":"object","additionalProperties":false,"properties":{}}}
    """#
)
