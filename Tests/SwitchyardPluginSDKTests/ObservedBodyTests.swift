import SwitchyardPluginSDK
import Testing

/// Bounded reading of an observed body: how it is framed, what is handed out under any
/// chunking, and what happens past a bound.
@Suite struct ObservedBodyTests {
    private func documents(_ body: inout ObservedBody, _ wire: String, every size: Int) -> [String] {
        var documents: [String] = []
        let bytes = Array(wire.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + size)
            bytes[offset..<end].withUnsafeBytes { body.feed($0) { documents.append(String(decoding: $0, as: UTF8.self)) } }
            offset = end
        }
        body.finish { documents.append(String(decoding: $0, as: UTF8.self)) }
        return documents
    }

    @Test func framingIsDecidedByTheFirstByte() {
        for size in [1, 2, 5, 1000] {
            var whole = ObservedBody()
            #expect(documents(&whole, " \r\n {\"a\":[1,2]}\n", every: size) == ["{\"a\":[1,2]}\n"])
            #expect(whole.framing == .whole && whole.isReadable)

            var events = ObservedBody()
            #expect(documents(&events, "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n", every: size) == [#"{"a":1}"#, #"{"b":2}"#])
            #expect(events.framing == .events)

            var array = ObservedBody(arrays: true)
            #expect(documents(&array, "[{\"a\":\"]}\\\"\"}\r\n,\r\n{\"b\":[{}]}]", every: size) == [#"{"a":"]}\""}"#, #"{"b":[{}]}"#])
            #expect(array.framing == .arrayElements)

            var notArrays = ObservedBody()
            #expect(documents(&notArrays, "[{\"a\":1}]", every: size).isEmpty)  // read as SSE: no data lines

            var request = ObservedBody.request()
            #expect(documents(&request, "------boundary\r\n", every: size).isEmpty)
            #expect(request.unread == .notJSON)
        }
    }

    @Test func aWholeDocumentPastItsBoundIsNotHandedOut() {
        var body = ObservedBody(wholeLimit: 10)
        #expect(documents(&body, "{\"abc\":\"defgh\"}", every: 4).isEmpty)
        #expect(body.overLimit && !body.isReadable)
        var fits = ObservedBody(wholeLimit: 10)
        #expect(documents(&fits, "{\"a\":\"bc\"}", every: 4) == ["{\"a\":\"bc\"}"])
    }

    @Test func anEventOrElementPastItsBoundIsDroppedAndTheRestRead() {
        for size in [1, 3, 7, 1000] {
            var events = ObservedBody(eventLimit: 8)
            #expect(documents(&events, "data: {\"a\":1}\n\ndata: {\"long\":\"123456789\"}\n\ndata: {\"b\":2}\n\n", every: size) == [#"{"a":1}"#, #"{"b":2}"#], "size \(size)")
            #expect(events.overLimit)
            var array = ObservedBody(eventLimit: 8, arrays: true)
            #expect(documents(&array, "[{\"a\":1},{\"long\":\"123456789\"},{\"b\":2}]", every: size) == [#"{"a":1}"#, #"{"b":2}"#], "size \(size)")
            #expect(array.overLimit)
        }
    }

    @Test func anUnfinishedEventOrElementIsNotHandedOut() {
        var events = ObservedBody()
        #expect(documents(&events, "data: {\"a\":1}\n\ndata: {\"b\":", every: 3) == [#"{"a":1}"#])
        var array = ObservedBody(arrays: true)
        #expect(documents(&array, "[{\"a\":1},{\"b\":", every: 3) == [#"{"a":1}"#])
    }
}

/// The SSE parser's bound (ServerSentEvents(maximumEventBytes:)), every split of the wire.
@Suite struct ServerSentEventsBoundTests {
    @Test func anOversizedEventIsDroppedWholeAtEverySplit() throws {
        let wire = Array("data: {\"a\":1}\n\ndata: 0123456789ab\ndata: x\n\nevent: e\ndata: 0123456789abcdef\r\n\r\ndata: {\"b\":2}\r\n\r\n".utf8)
        for split in 0...wire.count {
            var parser = ServerSentEvents(maximumEventBytes: 12)
            var events: [String] = []
            for part in [wire[..<split], wire[split...]] {
                try part.withUnsafeBytes { raw in
                    try parser.feed(raw) { (event) throws(PluginError) in events.append(String(decoding: event, as: UTF8.self)) }
                }
            }
            #expect(events == [#"{"a":1}"#, #"{"b":2}"#], "split \(split)")
            #expect(parser.droppedEvents == 2 && !parser.holdsPartialEvent, "split \(split)")
        }
    }
}
