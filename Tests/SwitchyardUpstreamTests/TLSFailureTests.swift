import Foundation
import SwitchyardUpstream
import Testing

/// TLS goes through libcurl's defaults: the system CA store verifies the peer. A loopback
/// server with a self-signed certificate must therefore fail as `.tls`, never succeed.
@Suite(.serialized) struct TLSFailureTests {
    /// A stdlib-only Python HTTPS server on 127.0.0.1:0 that prints its port.
    private static let serverScript = """
    import http.server, ssl, sys
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
        def log_message(self, *args): pass
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw MockProcessError(message: "\(executable) failed") }
    }

    @Test func selfSignedCertificateIsATLSError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("key.pem").path
        let certificate = folder.appendingPathComponent("cert.pem").path
        try Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                                          "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", Self.serverScript, certificate, key]
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        defer {
            // SIGKILL: the child inherits the test thread's signal mask, which may block SIGTERM.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)), "server printed \(line)")

        let harness = try ClientHarness()
        defer { harness.shutdown() }
        let recorder = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: "https://127.0.0.1:\(port)/", headers: [], body: [], totalTimeout: 5_000_000_000), recorder)
        #expect(recorder.wait())
        #expect(recorder.failure?.kind == .tls, "\(String(describing: recorder.result))")
        #expect(recorder.completions == 1)
        #expect(recorder.chunks.isEmpty)
    }
}
