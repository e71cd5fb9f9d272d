@testable import SwitchyardGateway
import Testing

/// What counts as content, so that a stream is held until its first content and no longer.
@Suite struct StreamHoldTests {
    private func carries(_ chunk: String, _ format: StreamHold.Format = .chat) -> Bool {
        Array(chunk.utf8).withUnsafeBytes { StreamHold.carriesContent($0, format: format) }
    }

    @Test func chatChunksThatOnlyOpenTheAnswerAreNotContent() {
        #expect(!carries(#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#))
        #expect(!carries(#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant"}}]}"#))
        #expect(!carries(#"{"id":"c","choices":[{"index":0,"delta":{"content":null,"tool_calls":[]}}]}"#))
        #expect(!carries(#"{"id":"c","choices":[{"index":0,"delta":{}},{"index":1,"delta":{"role":"assistant"}}]}"#))
    }

    @Test func textToolCallsRefusalsReasoningAndFinishAreContent() {
        #expect(carries(#"{"choices":[{"index":0,"delta":{"content":"Hi"}}]}"#))
        #expect(carries(#"{"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":""}}]}}]}"#))
        #expect(carries(#"{"choices":[{"index":0,"delta":{"refusal":"no"}}]}"#))
        #expect(carries(#"{"choices":[{"index":0,"delta":{"reasoning_content":"hm"}}]}"#))
        #expect(carries(#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#))
        #expect(carries(#"{"choices":[{"index":0,"delta":{}}, {"index":1,"delta":{"content":"x"}}]}"#))
        // Not understood, or not a choice: the hold ends and the renderer judges.
        #expect(carries(#"{"choices":[],"usage":{"prompt_tokens":1}}"#))
        #expect(carries(#"{"error":{"message":"x"}}"#))
        #expect(carries("not json"))
    }

    @Test func nativeOpeningEventsAreNotContent() {
        for type in ["message_start", "ping", "content_block_start"] {
            #expect(!carries(#"{"type":"\#(type)"}"#, .anthropicEvents))
        }
        #expect(carries(#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#, .anthropicEvents))
        #expect(carries(#"{"type":"message_delta"}"#, .anthropicEvents))
        #expect(carries(#"{"type":"error","error":{"type":"overloaded_error"}}"#, .anthropicEvents))
        for type in ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"] {
            #expect(!carries(#"{"type":"\#(type)","sequence_number":0}"#, .responsesEvents))
        }
        #expect(carries(#"{"type":"response.output_text.delta","delta":"Hi"}"#, .responsesEvents))
        #expect(carries(#"{"type":"response.failed"}"#, .responsesEvents))
        #expect(carries(#"{"no_type":1}"#, .responsesEvents))
    }

    @Test func heldChunksComeBackInOrderAndTheHoldIsBounded() {
        var hold = StreamHold()
        let role = Array(#"{"choices":[{"index":0,"delta":{"role":"assistant"}}]}"#.utf8)
        let text = Array(#"{"choices":[{"index":0,"delta":{"content":"Hi"}}]}"#.utf8)
        #expect(role.withUnsafeBytes { hold.hold($0, format: .chat) })
        #expect(role.withUnsafeBytes { hold.hold($0, format: .chat) })
        #expect(!text.withUnsafeBytes { hold.hold($0, format: .chat) })
        #expect(hold.take() == [role, role])
        #expect(hold.isEmpty)
        let big = Array(#"{"type":"ping","pad":""#.utf8) + [UInt8](repeating: 0x61, count: StreamHold.maxHeldBytes) + Array(#""}"#.utf8)
        #expect(!big.withUnsafeBytes { hold.hold($0, format: .anthropicEvents) })
        #expect(role.withUnsafeBytes { hold.hold($0, format: .chat) })
        hold.reset()
        #expect(hold.isEmpty)
    }
}
