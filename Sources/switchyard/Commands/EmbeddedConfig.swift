#if canImport(Glibc)
import Glibc
#endif

/// config/switchyard.yaml, compiled in (SwiftPM's embedInCode resource), so `switchyard serve`
/// needs no file next to it.
enum EmbeddedConfig {
    static let sourceName = "embedded:config/switchyard.yaml"
    static var bytes: [UInt8] { PackageResources.switchyard_yaml }
    static var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The default config finds plugins next to the executable unless told otherwise.
    static func setPluginDirectoryDefault() {
        if getenv("SWITCHYARD_PLUGIN_DIR") == nil { setenv("SWITCHYARD_PLUGIN_DIR", executableDirectory(), 0) }
    }
}
