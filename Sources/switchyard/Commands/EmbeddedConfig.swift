import SwitchyardConfig

/// config/switchyard.yaml, compiled in (SwiftPM's embedInCode resource), so `switchyard serve`
/// needs no file next to it.
enum EmbeddedConfig {
    static let sourceName = "embedded:config/switchyard.yaml"
    static var bytes: [UInt8] { PackageResources.switchyard_yaml }
    static var text: String { String(decoding: bytes, as: UTF8.self) }
}

extension Environment {
    /// What every command reads configs with: the process environment, where an unset
    /// `SWITCHYARD_PLUGIN_DIR` is the folder of this executable (where `swift build` puts the
    /// plugin libraries). The same whichever way the config is given: embedded, `--config PATH`
    /// or `validate PATH`; the process environment itself is left alone.
    static var switchyard: Environment {
        .process.withDefaults(["SWITCHYARD_PLUGIN_DIR": executableDirectory()])
    }
}
