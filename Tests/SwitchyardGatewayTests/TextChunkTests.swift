@testable import SwitchyardGateway
import SwitchyardJSON
import Testing

/// The chunk phase's byte view of a text chunk: found without a tree, text spliced in place.
@Suite struct TextChunkTests {
    static func chunk(_ choices: String, usage: String = "") -> [UInt8] {
        Array(#"{"id":"c1","object":"chat.completion.chunk","model":"m","choices":\#(choices)\#(usage)}"#.utf8)
    }

    @Test func findsTheTextOfAOneChoiceChunkAndSplicesAWindowIn() throws {
        let bytes = Self.chunk(#"[{"index":0,"delta":{"content":"he said \"hi\" \u00e9"},"logprobs":null,"finish_reason":null}]"#)
        let chunk = try #require(TextChunk(bytes))
        #expect(String(decoding: chunk.text, as: UTF8.self) == "he said \"hi\" é")
        #expect(chunk.choice == 0 && chunk.textOnly)
        let window = chunk.with(text: Array("held \"x\"\n".utf8))
        let parsed = try JSONValue.parse(window)
        #expect(parsed["choices"]?[0]?["delta"]?["content"]?.stringValue == "held \"x\"\n")
        #expect(parsed["id"]?.stringValue == "c1")
        // Released text for the next stage: bytes, range and text stay consistent.
        let next = chunk.replacingText(Array("ok".utf8))
        #expect(String(decoding: next.bytes, as: UTF8.self).contains(#""content":"ok""#))
        #expect(next.with(text: Array("again".utf8)).elementsEqual(Self.chunk(
            #"[{"index":0,"delta":{"content":"again"},"logprobs":null,"finish_reason":null}]"#)))
    }

    @Test func whatElseTheChunkCarriesDecidesWhetherItIsTextOnly() throws {
        let finishing = try #require(TextChunk(Self.chunk(#"[{"index":2,"delta":{"content":"end"},"finish_reason":"stop"}]"#)))
        #expect(finishing.choice == 2 && !finishing.textOnly)
        let withRole = try #require(TextChunk(Self.chunk(#"[{"index":0,"delta":{"role":"assistant","content":"a"}}]"#)))
        #expect(!withRole.textOnly)
        let withUsage = try #require(TextChunk(Self.chunk(#"[{"index":0,"delta":{"content":"a"}}]"#, usage: #","usage":{"prompt_tokens":1}"#)))
        #expect(!withUsage.textOnly)
    }

    @Test func anythingElseIsLeftToTheGeneralPath() {
        #expect(TextChunk(Self.chunk(#"[{"index":0,"delta":{"content":""}}]"#)) == nil)  // no text
        #expect(TextChunk(Self.chunk(#"[{"index":0,"delta":{"role":"assistant"}}]"#)) == nil)
        #expect(TextChunk(Self.chunk(#"[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"}}]"#)) == nil)
        #expect(TextChunk(Self.chunk("[]", usage: #","usage":{"prompt_tokens":1}"#)) == nil)
        #expect(TextChunk(Self.chunk(#"[{"index":0,"delta":{"content":7}}]"#)) == nil)
    }
}
