import SwitchyardPluginSDK
import Testing

/// The SDK's upstream SSE parser: every split of a stream gives the same events.
@Suite struct ServerSentEventsTests {
    private func events(_ wire: String, split: Int) throws -> (events: [String], parser: ServerSentEvents) {
        let bytes = Array(wire.utf8)
        var parser = ServerSentEvents()
        var events: [String] = []
        var failure: PluginError?
        for part in [Array(bytes[..<min(split, bytes.count)]), Array(bytes[min(split, bytes.count)...])] {
            part.withUnsafeBytes { raw in
                do throws(PluginError) {
                    try parser.feed(raw) { (event) throws(PluginError) in events.append(String(decoding: event, as: UTF8.self)) }
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        return (events, parser)
    }

    @Test func everySplitOfEveryLineEndingGivesTheSameEvents() throws {
        let wire = "event: a\r\ndata: {\"x\":1}\r\n\r\n: comment\ndata: two\ndata: lines\n\nid: 7\rdata: cr\r\rdata: [DONE]\n\n"
        for split in 0...wire.utf8.count {
            let (events, parser) = try events(wire, split: split)
            #expect(events == [#"{"x":1}"#, "two\nlines", "cr"], "split \(split)")
            #expect(parser.sawDone && !parser.holdsPartialEvent)
        }
    }

    @Test func anUnfinishedEventIsHeldNotHandedOut() throws {
        let (events, parser) = try events("data: {\"a\":1}\n\ndata: {\"b\"", split: 5)
        #expect(events == [#"{"a":1}"#])
        #expect(parser.holdsPartialEvent && !parser.sawDone)
    }

    @Test func aThrowingHandlerStopsTheFeed() {
        var parser = ServerSentEvents()
        var seen = 0
        let wire = Array("data: 1\n\ndata: 2\n\n".utf8)
        let failure: PluginError? = wire.withUnsafeBytes { raw in
            do throws(PluginError) {
                try parser.feed(raw) { (_) throws(PluginError) in
                    seen += 1
                    throw PluginError(SY_E_UPSTREAM, "stop")
                }
                return nil
            } catch { return error }
        }
        #expect(failure?.message == "stop" && seen == 1)
    }
}
