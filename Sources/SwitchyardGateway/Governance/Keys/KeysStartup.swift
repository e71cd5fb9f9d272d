#if canImport(Glibc)
import Glibc
#endif
import SwitchyardConfig

/// The start-up lines about client keys: an open gateway says so (a warning: anyone who reaches
/// the listener may spend); a closed one counts its active keys, and warns when nobody can make
/// one (no master key: the admin API is closed on the main listener).
enum KeysStartup {
    static func log(_ config: GatewayConfig, keys: KeyRegistry, to log: GatewayLog) {
        guard config.keys.required else {
            log.warn("open gateway: no keys required", fields: [("hint", "keys.required: true makes every client route need a virtual key")])
            return
        }
        let active = keys.activeCount(now: Int64(time(nil)))
        log.info("keys required", fields: [("active_keys", String(active))])
        if config.admin.key == nil {
            let way = config.admin.listen == nil ? "" : " except on admin.listen, which takes /admin/keys without a key"
            log.warn("keys.required is set but there is no master key (admin.key or $\(config.admin.masterKeyEnvironment)): no key can be created\(way), and requests get 401 until keys exist in the store",
                     fields: [("active_keys", String(active))])
        }
    }
}
