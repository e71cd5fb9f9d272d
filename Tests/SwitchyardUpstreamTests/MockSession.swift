import Foundation
import SwitchyardUpstream
import Testing

/// One `switchyard-mock` process and one client, for a test of one of the mock's wire formats;
/// `finish()` stops both.
struct MockSession {
    let mock: MockProcess
    let harness: ClientHarness

    /// `mockArguments`: extra command-line options for the mock (`--batch-delay-ms 700`).
    init(_ mockArguments: [String] = []) throws {
        mock = try MockProcess(mockArguments)
        harness = try ClientHarness()
    }

    func finish() {
        harness.shutdown()
        mock.stop()
    }

    func post(_ path: String, _ body: String, headers: [(String, String)] = []) -> Recorder {
        send("POST", path, body, headers: headers)
    }

    func send(_ method: String, _ path: String, _ body: String = "", headers: [(String, String)] = []) -> Recorder {
        let recorder = Recorder()
        let request = UpstreamRequest(method: method, url: mock.url(path), headers: [("Content-Type", "application/json")] + headers, body: Array(body.utf8))
        harness.start(request, recorder)
        #expect(recorder.wait())
        return recorder
    }
}

/// One server-sent event: its `event:` name, if any, and its `data:` decoded.
struct SSEFrame {
    let name: String?
    let data: [String: Any]
}

extension Recorder {
    /// The body's events, CRLF or LF line ends alike (Gemini ends lines with CRLF).
    var frames: [SSEFrame] {
        body.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n").compactMap { frame in
            var name: String?
            var data: String?
            for line in frame.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            guard let data, let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
            return SSEFrame(name: name, data: object)
        }
    }

    var object: [String: Any]? { json as? [String: Any] }
}

/// Typed access into decoded JSON, so a test reads `object.string("a", 0, "b")` instead of a
/// cast chain.
extension Dictionary where Key == String, Value == Any {
    func value(at path: [Any]) -> Any? {
        var current: Any? = self
        for step in path {
            if let key = step as? String {
                current = (current as? [String: Any])?[key]
            } else if let index = step as? Int {
                let items = current as? [Any]
                current = items.flatMap { index < $0.count ? $0[index] : nil }
            }
        }
        return current
    }

    func string(_ path: Any...) -> String? { value(at: path) as? String }
    func int(_ path: Any...) -> Int? { value(at: path) as? Int }
    func list(_ path: Any...) -> [[String: Any]]? { value(at: path) as? [[String: Any]] }
    func object(_ path: Any...) -> [String: Any]? { value(at: path) as? [String: Any] }
    func isNull(_ path: Any...) -> Bool { value(at: path) is NSNull }
}
