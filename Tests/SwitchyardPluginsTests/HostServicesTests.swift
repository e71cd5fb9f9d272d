import CSwitchyardPlugin
import Foundation
@testable import SwitchyardPlugins
import Testing

/// The host services table, through the good fixture (a real plugin calling it) and, for the
/// edge cases a well-behaved plugin never hits, through the C table directly.
@Suite(.serialized) struct HostServicesTests {
    var host: UnsafePointer<sy_host_api> { HostServices.table }

    @Test func tableIsCompleteAndDescribesTheHost() {
        let table = host.pointee
        #expect(table.struct_size == UInt32(MemoryLayout<sy_host_api>.size))
        #expect(table.abi_minor == SY_ABI_MINOR)
        #expect(table.get_extension(nil, "switchyard.ext.kv/1") == nil)
        let unix = table.now_unix_ns()
        #expect(unix > 1_700_000_000 * 1_000_000_000)
        let first = table.monotonic_ns(), second = table.monotonic_ns()
        #expect(second >= first)
    }

    @Test func pluginLogLineNamesTheEntryAndLevel() throws {
        let path = Fixtures.directory.appendingPathComponent("log-\(UUID().uuidString).txt").path
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        try #require(fd >= 0)
        HostServices.logDescriptor = fd
        _ = try goodInstance("logger")
        HostServices.minimumLogLevel = SY_LOG_WARN
        _ = try goodInstance("quiet-logger")  // its info line is below the minimum
        let instance = try goodInstance("logger-2")
        HostServices.minimumLogLevel = SY_LOG_INFO
        // A hostile message stays one line.
        Array("two\nlines \"quoted\"".utf8).withUnsafeBufferPointer {
            host.pointee.log(instance.host.handle, nil, SY_LOG_ERROR, sy_bytes(ptr: $0.baseAddress, len: $0.count))
        }
        HostServices.logDescriptor = 2
        close(fd)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains(#"level=info msg="fixture instance created" plugin="logger""#))
        #expect(!lines.contains { $0.contains(#"plugin="quiet-logger""#) })
        #expect(lines.contains(#"level=error msg="two\nlines \"quoted\"" plugin="logger-2""#))
    }

    @Test func logEnabledFollowsTheMinimumLevel() {
        HostServices.minimumLogLevel = SY_LOG_WARN
        #expect(host.pointee.log_enabled(nil, SY_LOG_INFO) == 0)
        #expect(host.pointee.log_enabled(nil, SY_LOG_ERROR) == 1)
        HostServices.minimumLogLevel = SY_LOG_INFO
        #expect(host.pointee.log_enabled(nil, SY_LOG_INFO) == 1)
    }

    @Test func metricsAreDefinedInInstanceNewAndRecordedPerLabel() throws {
        let instance = try goodInstance("metrics")
        _ = generate(instance, "hello")
        _ = generate(instance, "hello")
        let metrics = instance.host.metrics.snapshot
        #expect(metrics.map(\.name) == ["fixture_calls", "fixture_latency_ms"])
        #expect(metrics[0].kind == SY_METRIC_COUNTER && metrics[0].labelNames == ["kind"])
        #expect(metrics[0].series[["generate"]] == MetricRegistry.Series(value: 2, count: 2))
        #expect(metrics[1].kind == SY_METRIC_HISTOGRAM && metrics[1].series[[]]?.count == 2)
        #expect(HostInstance.all.contains { $0 === instance.host })
        // Outside instance_new the metric set is frozen.
        #expect(generate(instance, "define").json == [#"{"define":-2}"#])
    }

    @Test func metricRegistryRefusesBadInput() {
        let registry = MetricRegistry()
        #expect(registry.define(kind: 9, name: "x", labelNames: []) == nil)
        #expect(registry.define(kind: SY_METRIC_COUNTER, name: "1bad", labelNames: []) == nil)
        #expect(registry.define(kind: SY_METRIC_COUNTER, name: "ok", labelNames: ["a", "a"]) == nil)
        let id = registry.define(kind: SY_METRIC_COUNTER, name: "requests", labelNames: ["code"])
        #expect(id == 0)
        #expect(registry.define(kind: SY_METRIC_COUNTER, name: "requests", labelNames: ["code"]) == id)
        #expect(registry.define(kind: SY_METRIC_GAUGE, name: "requests", labelNames: ["code"]) == nil)
        #expect(!registry.record(id: 0, value: -1, labels: ["200"]))
        #expect(!registry.record(id: 0, value: .nan, labels: ["200"]))
        #expect(!registry.record(id: 0, value: 1, labels: []))
        #expect(!registry.record(id: 7, value: 1, labels: ["200"]))
        let gauge = registry.define(kind: SY_METRIC_GAUGE, name: "queue", labelNames: [])!
        #expect(registry.record(id: gauge, value: 5, labels: []) && registry.record(id: gauge, value: 3, labels: []))
        #expect(registry.snapshot[Int(gauge)].series[[]] == MetricRegistry.Series(value: 3, count: 2))
    }

    @Test func secretTwoCallPattern() {
        precondition(FixtureEnvironment.ready)
        func get(_ name: String, capacity: Int) -> (sy_status, Int, String) {
            var buffer = [UInt8](repeating: 0, count: capacity)
            var length = -1
            let status = Array(name.utf8).withUnsafeBufferPointer { name in
                host.pointee.secret_get(nil, sy_bytes(ptr: name.baseAddress, len: name.count), &buffer, capacity, &length)
            }
            return (status, length, String(decoding: buffer.prefix(max(0, min(length, capacity))), as: UTF8.self))
        }
        #expect(get("SWITCHYARD_FIXTURE_SECRET", capacity: 2).0 == SY_E_TOO_SMALL)
        #expect(get("SWITCHYARD_FIXTURE_SECRET", capacity: 2).1 == 6)
        #expect(get("SWITCHYARD_FIXTURE_SECRET", capacity: 6) == (SY_OK, 6, "s3cret"))
        #expect(get("SWITCHYARD_SURELY_UNSET_\(getpid())", capacity: 8).0 == SY_E_INVALID)
        #expect(get("A=B", capacity: 8).0 == SY_E_INVALID)
        #expect(get("", capacity: 8).0 == SY_E_INVALID)
    }

    @Test func allocationsAreAccountedPerInstance() throws {
        let instance = try goodInstance("memory")
        let before = instance.host.memory
        #expect(before.allocations == 1 && before.bytes >= 7)  // the secret, "s3cret" + NUL
        let pointer = host.pointee.alloc(instance.host.handle, 100)
        #expect(instance.host.memory.allocations == 2 && instance.host.memory.bytes >= before.bytes + 100)
        host.pointee.free(instance.host.handle, pointer)
        host.pointee.free(instance.host.handle, nil)
        #expect(instance.host.memory == before)
        instance.shutdown()
        #expect(instance.host.memory == (0, 0))
    }
}
