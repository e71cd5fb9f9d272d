import SwitchyardHTTP

/// Writes a chat stream as server-sent events (`data: <json>\n\n` each, then `data: [DONE]\n\n`),
/// paced by loop timers when `x-mock-chunk-delay-ms` asks for it, cut short when
/// `x-mock-cut-after` asks for it. One frame buffer, reused for every event.
///
/// Threading: the writer's loop; the pending timer keeps the pacer alive.
final class SSEPacer {
    private let events: [[UInt8]]
    private let writer: ResponseWriter
    private let knobs: MockKnobs
    private var next = 0
    private var frame: [UInt8] = []

    init(events: [[UInt8]], writer: ResponseWriter, knobs: MockKnobs) {
        self.events = events
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
                writer.write(Self.done)
                return writer.finish()
            }
            frame.removeAll(keepingCapacity: true)
            frame.append(contentsOf: Self.prefix)
            frame.append(contentsOf: events[next])
            frame.append(contentsOf: Self.separator)
            frame.withUnsafeBytes { writer.write($0) }
            next += 1
            if knobs.chunkDelayMilliseconds > 0 {
                writer.loop.schedule(after: UInt64(knobs.chunkDelayMilliseconds) * 1_000_000) { self.send() }
                return
            }
        }
    }

    private static let prefix = Array("data: ".utf8)
    private static let separator: [UInt8] = [10, 10]
    private static let done = Array("data: [DONE]\n\n".utf8)
}
