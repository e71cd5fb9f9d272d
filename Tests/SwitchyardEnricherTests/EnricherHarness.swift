import CSwitchyardPlugin
import Glibc
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// Drives a built enricher plugin (`lib<Product>.so`, loaded with dlopen as the gateway loads
/// it) through its C table, `sy_enricher_v1`, in the order the header gives: begin, request
/// body chunks, response head, response body chunks, end, state_free. The report `end` writes
/// goes through the host's own output check (`PluginOutputCheck`), so a report the gateway
/// would refuse fails here too. Everything runs on the test's thread.
struct EnricherHarness {
    let instance: PluginInstance
    let table: UnsafePointer<sy_enricher_v1>

    init(product: String, config: JSONValue = [:]) throws {
        let path = Self.buildDirectory + "/lib\(product).so"
        guard access(path, R_OK) == 0 else {
            throw HarnessError("\(path) is missing: run `swift build` before `swift test` (scripts/test.sh does)")
        }
        let library = try PluginLibrary.load(path: path)
        instance = try library.instantiate(name: product, configJSON: config.serialized())
        guard let raw = instance.interface(SY_IFACE_ENRICHER) else { throw HarnessError("\(product) does not implement \(SY_IFACE_ENRICHER)") }
        table = raw.assumingMemoryBound(to: sy_enricher_v1.self)
        guard table.pointee.struct_size >= UInt32(MemoryLayout<sy_enricher_v1>.size) else { throw HarnessError("\(product): enricher table too small") }
    }

    /// The SY_PHASE_* bits the table declares.
    var phases: UInt32 { table.pointee.phases }

    /// Runs one exchange; every body is cut where `split` says.
    func run(_ exchange: Exchange, split: Split = .whole) -> EnrichmentRun {
        var error = Self.freshError()
        var state: sy_state?
        let begun = withCallInfo { info in
            exchange.request.lend { head in table.pointee.begin(instance.pluginInstance, nil, info, head, &state, &error) }
        }
        guard begun == SY_OK else {
            if let state { table.pointee.state_free(state) }  // a failed begin may still have made one
            return begun == SY_E_UNSUPPORTED ? .declined : .failed(begun, Self.message(error))
        }
        defer { table.pointee.state_free(state) }
        var generator = split.generator
        if phases & SY_PHASE_REQUEST != 0 {
            for piece in generator.pieces(exchange.requestBody) {
                let status = piece.withUnsafeBytes { table.pointee.data(state, SY_PHASE_REQUEST, $0.syBytes, &error) }
                if status != SY_OK { return .failed(status, Self.message(error)) }
            }
        }
        if let response = exchange.response {
            let status = response.lend { head in table.pointee.response(state, head, &error) }
            if status != SY_OK { return .failed(status, Self.message(error)) }
            if phases & SY_PHASE_RESPONSE != 0 {
                for piece in generator.pieces(exchange.responseBody) {
                    let status = piece.withUnsafeBytes { table.pointee.data(state, SY_PHASE_RESPONSE, $0.syBytes, &error) }
                    if status != SY_OK { return .failed(status, Self.message(error)) }
                }
            }
        }
        var check = PluginOutputCheck(stream: false)
        var reports: [[UInt8]] = []
        let refuse = exchange.refuseReport
        let ended = withPluginSink({ kind, bytes in
            guard kind == SY_OUT_META_JSON else { return SY_E_INVALID }
            if refuse { return SY_E_INVALID }
            let verdict = check.admit(kind: kind, bytes)
            if verdict == SY_OK { reports.append(Array(bytes)) }
            return verdict
        }) { sink in table.pointee.end(state, exchange.outcome, sink, &error) }
        if let problem = check.problem { return .refused(problem) }
        guard ended == SY_OK else { return .failed(ended, Self.message(error)) }
        guard reports.count == 1, let report = try? JSONValue.parse(reports[0]) else { return .failed(SY_E_INTERNAL, "\(reports.count) reports") }
        return .report(report)
    }

    private func withCallInfo<R>(_ body: (UnsafePointer<sy_call_info>) -> R) -> R {
        var info = sy_call_info()
        info.struct_size = UInt32(MemoryLayout<sy_call_info>.size)
        info.operation = SY_OP_PASSTHROUGH
        return body(&info)
    }

    static func freshError() -> sy_error {
        var error = sy_error()
        error.struct_size = UInt32(MemoryLayout<sy_error>.size)
        return error
    }

    static func message(_ error: sy_error) -> String {
        var error = error
        return withUnsafeBytes(of: &error.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Directory holding the test binary; `swift build` puts the plugin libraries beside it.
    static let buildDirectory: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        return String(exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)])
    }()
}

/// One observed exchange, as the host would show it to an enricher.
struct Exchange {
    var request: Head
    var requestBody: [UInt8] = []
    /// nil: no response arrived (the call ends after the request).
    var response: Head? = Head(status: 200, method: "", path: "", headers: [("content-type", "application/json")])
    var responseBody: [UInt8] = []
    /// `end`'s outcome.
    var outcome: sy_status = SY_OK
    /// The host refuses the report (as it would a malformed one).
    var refuseReport = false

    init(_ path: String, method: String = "POST", body: JSONValue? = nil, status: Int = 200, contentType: String = "application/json",
         responseBody: [UInt8] = [], responseHeaders: [(String, String)] = []) {
        request = Head(status: 0, method: method, path: path, headers: body == nil ? [] : [("content-type", "application/json")])
        requestBody = body?.serialized() ?? []
        response = Head(status: status, method: "", path: "", headers: [("content-type", contentType)] + responseHeaders)
        self.responseBody = responseBody
    }

    struct Head {
        var status: Int
        var method: String
        var path: String
        var headers: [(String, String)]

        /// Lends the head as `sy_exchange_head` for the duration of `body`.
        func lend<R>(_ body: (UnsafePointer<sy_exchange_head>) -> R) -> R {
            var storage: [UInt8] = []
            var spans: [Range<Int>] = []
            for text in [method, path] + headers.flatMap({ [$0.0, $0.1] }) {
                let start = storage.count
                storage += text.utf8
                spans.append(start..<storage.count)
            }
            return storage.withUnsafeBufferPointer { raw in
                func bytes(_ index: Int) -> sy_bytes {
                    sy_bytes(ptr: raw.baseAddress.map { $0 + spans[index].lowerBound }, len: spans[index].count)
                }
                let fields = (0..<headers.count).map { sy_header(name: bytes(2 + 2 * $0), value: bytes(3 + 2 * $0)) }
                return fields.withUnsafeBufferPointer { fields in
                    var head = sy_exchange_head(
                        struct_size: UInt32(MemoryLayout<sy_exchange_head>.size), http_status: UInt32(status),
                        method: bytes(0), path: bytes(1), headers: fields.baseAddress, header_count: fields.count)
                    return body(&head)
                }
            }
        }
    }
}

/// How an exchange ended for the enricher.
enum EnrichmentRun: Equatable, CustomStringConvertible {
    /// begin answered SY_E_UNSUPPORTED: not this enricher's call.
    case declined
    /// The one SY_OUT_META_JSON report, parsed.
    case report(JSONValue)
    /// A hook failed: its status and sy_error message.
    case failed(sy_status, String)
    /// The host's output check refused the report.
    case refused(String)

    var report: JSONValue? {
        if case .report(let report) = self { return report }
        return nil
    }

    var description: String {
        switch self {
        case .declined: "declined"
        case .report(let report): report.jsonText
        case .failed(let status, let message): "failed \(status): \(message)"
        case .refused(let problem): "refused: \(problem)"
        }
    }
}

/// Where bodies are cut: whole, every `n` bytes, or at random places (seeded: a failure
/// names its seed and repeats).
enum Split: CustomStringConvertible {
    case whole
    case every(Int)
    case random(seed: UInt64, maximum: Int)

    var generator: Pieces { Pieces(split: self) }

    var description: String {
        switch self {
        case .whole: "whole"
        case .every(let size): "every \(size) bytes"
        case .random(let seed, let maximum): "random (seed \(seed), pieces up to \(maximum))"
        }
    }

    /// Whole, byte by byte, and 40 random splittings.
    static let all: [Split] = [.whole, .every(1), .every(7)] + (1...40).map { .random(seed: UInt64($0), maximum: $0 % 2 == 0 ? 16 : 300) }

    struct Pieces {
        let split: Split
        private var state: UInt64

        init(split: Split) {
            self.split = split
            if case .random(let seed, _) = split { state = seed } else { state = 0 }
        }

        mutating func pieces(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
            var result: [ArraySlice<UInt8>] = []
            var offset = 0
            while offset < bytes.count {
                let size: Int
                switch split {
                case .whole: size = bytes.count
                case .every(let n): size = n
                case .random(_, let maximum): size = 1 + Int(next() % UInt64(maximum))
                }
                let end = min(bytes.count, offset + size)
                result.append(bytes[offset..<end])
                offset = end
            }
            return result
        }

        /// splitmix64.
        private mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

/// Recorded wire bytes under Tests/SwitchyardEnricherTests/Fixtures (see its README).
enum Fixture {
    static func bytes(_ name: String, file: String = #filePath) throws -> [UInt8] {
        let directory = String(file[..<(file.lastIndex(of: "/") ?? file.endIndex)])
        let path = directory + "/Fixtures/" + name
        guard let handle = fopen(path, "rb") else { throw HarnessError("fixture \(path) is missing") }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return bytes
    }
}

extension UnsafeRawBufferPointer {
    var syBytes: sy_bytes { sy_bytes(ptr: baseAddress?.assumingMemoryBound(to: UInt8.self), len: count) }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension EnricherHarness {
    /// Every splitting of the exchange's bodies (`Split.all`) gives `expected`.
    func expectReport(_ exchange: Exchange, _ expected: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
        for split in Split.all {
            let run = run(exchange, split: split)
            #expect(run == .report(expected), "split \(split)", sourceLocation: sourceLocation)
            if run != .report(expected) { return }  // the first failing split says enough
        }
    }
}

/// The report an enricher should write; nil members are left out, in the report's order.
func report(_ operation: String, model: String?, usage: JSONValue?, audit: String) -> JSONValue {
    var object = JSONObject([(key: "operation", value: .string(operation))])
    if let model { object["model"] = .string(model) }
    if let usage { object["usage"] = usage }
    object["audit_path"] = .string(audit)
    return .object(object)
}

/// `bytes` cut to its first `count` bytes (a stream that broke).
func truncated(_ bytes: [UInt8], at marker: String) -> [UInt8] {
    let needle = Array(marker.utf8)
    for start in 0...(bytes.count - needle.count) where bytes[start..<(start + needle.count)].elementsEqual(needle) {
        return Array(bytes[..<start])
    }
    return bytes
}

let eventStream = "text/event-stream"
