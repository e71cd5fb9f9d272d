import CSwitchyardPlugin
import SwitchyardJSON

/// instance.*: instance_new / instance_free with the good config, many times, without growth;
/// bad configs derived from the schema refused (by the schema, as the gateway checks it first,
/// or by the plugin with SY_E_CONFIG and a message); malformed and
/// random configs never a crash.
enum InstanceChecks {
    static let cycles = 100
    /// Resident growth allowed over `cycles` create/free pairs.
    static let growthBound = 8 << 20

    static let all = [
        ValidationCheck("instance.good-config") { context in
            if case .failure(let skip) = context.requireLibrary() { return .skipped(skip.reason) }
            return switch context.instance {
            case .success: .passed
            case .failure(let error): .failed(error.message)
            }
        },
        ValidationCheck("instance.create-free") { context in
            with(context.requireInstance()) { instance in createAndFree(context, instance.library) }
        },
        ValidationCheck("instance.bad-configs") { context in
            with(context.requireInstance()) { instance in badConfigs(context, instance.library) }
        },
        ValidationCheck("instance.malformed-configs") { context in
            with(context.requireInstance()) { instance in malformedConfigs(context, instance.library) }
        },
    ]

    static func createAndFree(_ context: ValidationContext, _ library: PluginLibrary) -> ValidationVerdict {
        // Warm up (first-time allocations of the plugin and of the host), then measure.
        for _ in 0..<10 { (try? library.instantiate(name: "validator", configJSON: context.configJSON))?.shutdown() }
        let before = residentBytes()
        for round in 0..<cycles {
            let instance: PluginInstance
            do { instance = try library.instantiate(name: "validator", configJSON: context.configJSON) } catch {
                return .failed("instance_new #\(round + 1) with the same config failed: \(error.message)")
            }
            instance.shutdown()
            let memory = instance.host.memory
            if memory.bytes != 0 || memory.allocations != 0 {
                return .failed("after instance_free, \(memory.allocations) allocation(s) of \(memory.bytes) bytes from host->alloc were never given back")
            }
        }
        let growth = residentBytes() - before
        if growth > growthBound {
            return .failed("resident memory grew \(mebibytes(growth)) over \(cycles) instance_new/instance_free pairs (bound \(mebibytes(growthBound)))")
        }
        return .passed
    }

    static func badConfigs(_ context: ValidationContext, _ library: PluginLibrary) -> ValidationVerdict {
        let good = (try? JSONValue.parse(context.configJSON)) ?? .object(JSONObject())
        for bad in BadConfigs.derive(schema: library.configSchema?.json, good: good) {
            // The gateway checks the manifest's config_schema before instance_new: a config the
            // schema refuses never reaches the plugin, so only the rest is the plugin's to refuse.
            // It is still fed to the plugin once: whatever it answers, it must not crash.
            if library.configSchema?.violation(in: bad.config) != nil {
                (try? library.instantiate(name: "validator", configJSON: Array(bad.config.jsonText.utf8)))?.shutdown()
                continue
            }
            do {
                let instance = try library.instantiate(name: "validator", configJSON: Array(bad.config.jsonText.utf8))
                instance.shutdown()
                return .failed("accepted a bad config (\(bad.name)): \(bad.config.jsonText)")
            } catch {
                if error.kind != .configRejected {
                    return .failed("a bad config (\(bad.name)) was answered with something else than SY_E_CONFIG: \(error.message)")
                }
                if error.message.hasSuffix("no reason given") {
                    return .failed("refused a bad config (\(bad.name)) without a message (say why in error->message)")
                }
            }
        }
        return .passed
    }

    static func malformedConfigs(_ context: ValidationContext, _ library: PluginLibrary) -> ValidationVerdict {
        var random = ValidationRandom(seed: context.seed)
        for input in MalformedJSON.corpus(from: String(decoding: context.configJSON, as: UTF8.self), randomCount: 32, random: &random) {
            // Any answer but a crash or a hang: a plugin may accept what it can read.
            (try? library.instantiate(name: "validator", configJSON: input.bytes))?.shutdown()
        }
        return .passed
    }
}
