import SwitchyardHTTP
import SwitchyardJSON

/// How a format frames its server-sent events.
enum SSEFraming {
    /// OpenAI chat: `data: <json>\n\n` each, then `data: [DONE]\n\n`.
    case openAI
    /// Anthropic and Responses: `event: <name>\ndata: <json>\n\n` each (one name per event), no
    /// terminator: the last event says the stream is over.
    case named([String])
    /// Gemini: `data: <json>\r\n\r\n` each, no terminator (Google's servers end lines with CRLF).
    case gemini
}

/// Writes a stream as server-sent events, paced by loop timers when `x-mock-chunk-delay-ms` asks
/// for it, cut short when `x-mock-cut-after` asks for it. One frame buffer, reused for every
/// event.
///
/// Threading: the writer's loop; the pending timer keeps the pacer alive.
final class SSEPacer {
    private let events: [[UInt8]]
    private let framing: SSEFraming
    private let writer: ResponseWriter
    private let knobs: MockKnobs
    /// Events paced by `x-mock-chunk-delay-ms`; the ones after (OpenAI's usage chunk and
    /// `[DONE]`) follow the last paced one at once, as a real upstream sends them together
    /// when generation ends.
    private let pacedCount: Int
    private var next = 0
    private var frame: [UInt8] = []

    init(events: [[UInt8]], framing: SSEFraming = .openAI, writer: ResponseWriter, knobs: MockKnobs, pacedCount: Int? = nil) {
        self.events = events
        self.pacedCount = pacedCount ?? events.count
        self.framing = framing
        self.writer = writer
        self.knobs = knobs
    }

    func start() {
        writer.startStream(status: 200, headers: HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]))
        send()
    }

    private func send() {
        while !writer.isClosed {
            if let cut = knobs.cutAfterEvents, next >= cut { return writer.abort() }
            if next == events.count {
                if case .openAI = framing { writer.write(Self.done) }
                return writer.finish()
            }
            frame.removeAll(keepingCapacity: true)
            switch framing {
            case .openAI:
                frame.append(contentsOf: Self.dataPrefix)
                frame.append(contentsOf: events[next])
                frame.append(contentsOf: Self.separator)
            case .named(let names):
                frame.append(contentsOf: Self.eventPrefix)
                frame.append(contentsOf: names[next].utf8)
                frame.append(10)
                frame.append(contentsOf: Self.dataPrefix)
                frame.append(contentsOf: events[next])
                frame.append(contentsOf: Self.separator)
            case .gemini:
                frame.append(contentsOf: Self.dataPrefix)
                frame.append(contentsOf: events[next])
                frame.append(contentsOf: Self.crlfSeparator)
            }
            frame.withUnsafeBytes { writer.write($0) }
            next += 1
            if knobs.chunkDelayMilliseconds > 0, next < pacedCount {
                writer.loop.schedule(after: UInt64(knobs.chunkDelayMilliseconds) * 1_000_000) { self.send() }
                return
            }
        }
    }

    private static let dataPrefix = Array("data: ".utf8)
    private static let eventPrefix = Array("event: ".utf8)
    private static let separator: [UInt8] = [10, 10]
    private static let crlfSeparator: [UInt8] = [13, 10, 13, 10]
    private static let done = Array("data: [DONE]\n\n".utf8)
}

/// Events named by their own `type` field (Anthropic, Responses), collected in order for the pacer.
struct TypedEvents {
    private(set) var names: [String] = []
    private(set) var payloads: [[UInt8]] = []

    mutating func append(_ event: JSONValue) {
        names.append(event["type"]?.stringValue ?? "message")
        payloads.append(event.serialized())
    }

    var count: Int { names.count }
    var framing: SSEFraming { .named(names) }
}
