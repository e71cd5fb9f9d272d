import Foundation
import Testing

@testable import SwitchyardConfig

@Suite("Loading from files")
struct ConfigFileTests {
    /// Runs `body` with a fresh directory that is removed afterwards.
    func withDirectory(_ body: (URL) throws -> Void) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }

    func loadError(_ path: String) -> String? {
        do {
            _ = try ConfigLoader.load(path: path, environment: .values(["SWITCHYARD_PLUGIN_DIR": "/p"]))
            return nil
        } catch {
            return error.description
        }
    }

    @Test("loads a real file and names it in locations")
    func loadsFile() throws {
        try withDirectory { directory in
            let path = directory.appendingPathComponent("switchyard.yaml").path
            try Data(defaultConfigYAML.utf8).write(to: URL(fileURLWithPath: path))
            let config = try ConfigLoader.load(path: path, environment: .values(["SWITCHYARD_PLUGIN_DIR": "/p"]))
            #expect(config.sourceName == path)
            #expect(config.plugins.first?.location.description == "\(path):17:5")
        }
    }

    @Test("missing file, directory, FIFO, wrong parent")
    func notAFile() throws {
        try withDirectory { directory in
            let missing = directory.appendingPathComponent("nope.yaml").path
            #expect(loadError(missing) == "\(missing): configuration file not found")
            #expect(loadError(directory.path) == "\(directory.path): configuration path is a directory, not a file")

            let fifo = directory.appendingPathComponent("fifo").path
            #expect(mkfifo(fifo, 0o600) == 0)
            #expect(loadError(fifo) == "\(fifo): configuration path is not a regular file")

            let file = directory.appendingPathComponent("file").path
            try Data("a: 1\n".utf8).write(to: URL(fileURLWithPath: file))
            #expect(loadError(file + "/x.yaml") == "\(file)/x.yaml: cannot open configuration file: Not a directory")
        }
    }

    @Test("unreadable file", .enabled(if: getuid() != 0, "root reads any file"))
    func unreadable() throws {
        try withDirectory { directory in
            let path = directory.appendingPathComponent("secret.yaml").path
            try Data("server: {}\n".utf8).write(to: URL(fileURLWithPath: path))
            #expect(chmod(path, 0) == 0)
            #expect(loadError(path) == "\(path): configuration file is not readable (permission denied)")
        }
    }

    @Test("invalid UTF-8 is reported with its line and column")
    func invalidUTF8() throws {
        try withDirectory { directory in
            let path = directory.appendingPathComponent("bad.yaml").path
            var bytes = Array("server:\n  host: caf".utf8)
            bytes += [0xC3, 0xA9]  // é, valid
            bytes += Array("\n  # ok\n  port: 80".utf8) + [0xFF] + Array("\n".utf8)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(loadError(path) == "\(path):4:11: invalid UTF-8 (byte 0xFF)")
            for (bad, hex) in [([UInt8]([0xC0, 0x80]), "C0"), ([0xED, 0xA0, 0x80], "ED"), ([0xE2, 0x82], "E2")] {
                try Data(Array("a: ".utf8) + bad).write(to: URL(fileURLWithPath: path))
                #expect(loadError(path) == "\(path):1:4: invalid UTF-8 (byte 0x\(hex))")
            }
        }
    }

    @Test("control characters are refused by libyaml with a position")
    func controlCharacters() {
        #expect(errorText("a: b\u{01}c\n") == "test.yaml:1:5: invalid YAML input: control characters are not allowed (U+0001)")
    }

    @Test("oversized file")
    func oversized() throws {
        try withDirectory { directory in
            let path = directory.appendingPathComponent("big.yaml").path
            try Data(repeating: UInt8(ascii: "#"), count: ConfigFile.maxBytes + 1).write(to: URL(fileURLWithPath: path))
            #expect(loadError(path) == "\(path): configuration file is larger than 4194304 bytes")
        }
    }
}
