import Foundation
import SwitchyardUpstream

/// The real `switchyard-mock` executable, started on a free port for one test and stopped after.
final class MockProcess: @unchecked Sendable {
    let port: Int
    private let process = Process()

    init(_ extraArguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--port", "0", "--loops", "1"] + extraArguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The mock prints "listening on 127.0.0.1:PORT" once bound; read up to that line.
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.contains("\n"), Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, line.hasPrefix("listening on 127.0.0.1:"),
              let port = Int(line.split(separator: ":").last ?? "") else {
            process.terminate()
            throw MockProcessError(message: "switchyard-mock did not report its port: \(text)")
        }
        self.port = port
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    var pid: Int32 { process.processIdentifier }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// Built by `swift build` next to the test bundle.
    static var executable: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = bundle.deletingLastPathComponent()
        if folder.path.hasSuffix(".xctest") { folder = folder.deletingLastPathComponent() }
        for candidate in [folder, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("switchyard-mock").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repository.appendingPathComponent(".build/debug/switchyard-mock").path
    }
}

struct MockProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension Recorder {
    /// The body as JSON (object or array).
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }

    /// The `data:` payloads of an SSE body, in order (`[DONE]` included as a string).
    var events: [String] {
        body.components(separatedBy: "\n\n").compactMap { frame in
            frame.hasPrefix("data: ") ? String(frame.dropFirst(6)) : nil
        }
    }

    /// The SSE payloads decoded, `[DONE]` left out.
    var eventObjects: [[String: Any]] {
        events.filter { $0 != "[DONE]" }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }
}
