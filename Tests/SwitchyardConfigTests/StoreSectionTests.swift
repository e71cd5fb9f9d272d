import Foundation
import Testing

@testable import SwitchyardConfig

@Suite("store section")
struct StoreSectionTests {
    @Test("defaults: a data folder beside the config file")
    func defaults() throws {
        let config = try ConfigLoader.parse(yaml: Array("".utf8), sourceName: "/etc/switchyard/gateway.yaml", environment: .values([:]), baseDirectory: "/etc/switchyard")
        #expect(config.store == StoreConfig(path: "/etc/switchyard/switchyard-data/switchyard.db"))
        #expect(config.store.busyTimeout == .seconds(5))
        #expect(config.store.writeQueue == 10_000)
        #expect(config.store.responses.maxAge == .seconds(30 * 24 * 3600))
        #expect(config.store.responses.maxCount == 1_000_000)
    }

    @Test("store.responses: retention of stored responses")
    func responsesRetention() throws {
        let set = try parse("store:\n  responses:\n    max_age: 48h\n    max_count: 500\n").store.responses
        #expect(set.maxAge == .seconds(48 * 3600) && set.maxCount == 500)
        let partial = try parse("store:\n  responses:\n    max_age: 1s\n").store.responses
        #expect(partial.maxAge == .seconds(1) && partial.maxCount == 1_000_000)
        #expect(try parse("store:\n  responses:\n").store.responses == StoredResponsesRetention())
    }

    @Test("without a config file (the embedded config) the default stays relative to the working directory")
    func embedded() throws {
        #expect(try parse("").store.path == "switchyard-data/switchyard.db")
        #expect(try parse("store:\n").store.path == "switchyard-data/switchyard.db")
    }

    @Test("every key set; a relative path starts at the config's folder, an absolute one is kept")
    func explicit() throws {
        let yaml = "store:\n  path: ${DATA:-var}/gw.db\n  busy_timeout: 250ms\n  write_queue: 64\n"
        let relative = try ConfigLoader.parse(yaml: Array(yaml.utf8), sourceName: "conf/gw.yaml", environment: .values([:]), baseDirectory: "conf")
        #expect(relative.store.path == "conf/var/gw.db")
        #expect(relative.store.busyTimeout == .milliseconds(250))
        #expect(relative.store.writeQueue == 64)
        let absolute = try ConfigLoader.parse(yaml: Array(yaml.utf8), sourceName: "conf/gw.yaml", environment: .values(["DATA": "/srv/data"]), baseDirectory: "conf")
        #expect(absolute.store.path == "/srv/data/gw.db")
    }

    @Test("load(path:) resolves against the file's folder")
    func loadResolves() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-store-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/gw.yaml"
        try "store:\n  path: data/x.db\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try ConfigLoader.load(path: file, environment: .values([:])).store.path == folder + "/data/x.db")
    }

    @Test("errors", arguments: [
        ("store:\n  paht: x.db\n", #"test.yaml:2:3: store.paht: unknown key (did you mean "path"?)"#),
        ("store: [x]\n", "test.yaml:1:8: store: expected a mapping, got a list"),
        ("store:\n  path: \"\"\n", "test.yaml:2:9: store.path: must not be empty (leave the key out for the default, switchyard-data/switchyard.db beside the config file)"),
        ("store:\n  path:\n", "test.yaml:2:8: store.path: expected a string, got an empty value"),
        ("store:\n  path: data/\n", #"test.yaml:2:9: store.path: names a folder; give the database file, e.g. "data/switchyard.db""#),
        ("store:\n  busy_timeout: soon\n", #"test.yaml:2:17: store.busy_timeout: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "soon""#),
        ("store:\n  busy_timeout: 1h\n", "test.yaml:2:17: store.busy_timeout: must be at most 10m"),
        ("store:\n  write_queue: 0\n", "test.yaml:2:16: store.write_queue: 0 is out of range (1 to 10000000)"),
        ("store:\n  responses:\n    max_age: 0s\n", "test.yaml:3:14: store.responses.max_age: must be at least 1s (a response must outlive the request that continues it)"),
        ("store:\n  responses:\n    max_age: 100000h\n", "test.yaml:3:14: store.responses.max_age: must be less than 2400h (100 days), the longest duration the config takes"),
        ("store:\n  responses:\n    max_age: 30d\n", #"test.yaml:3:14: store.responses.max_age: expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got "30d""#),
        ("store:\n  responses:\n    max_count: 0\n", "test.yaml:3:16: store.responses.max_count: 0 is out of range (1 to 1000000000)"),
        ("store:\n  responses:\n    max_count: -5\n", "test.yaml:3:16: store.responses.max_count: -5 is out of range (1 to 1000000000)"),
        ("store:\n  responses:\n    max_cnt: 5\n", #"test.yaml:3:5: store.responses.max_cnt: unknown key (did you mean "max_count"?)"#),
        ("store:\n  responses: 30\n", "test.yaml:2:14: store.responses: expected a mapping, got \"30\""),
    ])
    func errors(yaml: String, message: String) {
        #expect(errorText(yaml) == message)
    }
}
