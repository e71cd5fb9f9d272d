import Testing
@testable import SwitchyardGateway

@Suite struct SSEFrameTests {
    func framed(_ payload: String) -> String {
        var frame = SSEFrame()
        Array(payload.utf8).withUnsafeBytes { frame.frame($0) }
        var out = ""
        frame.withBytes { out = String(decoding: $0, as: UTF8.self) }
        return out
    }

    @Test func oneLinePayloadIsOneDataLine() {
        #expect(framed(#"{"a":1}"#) == "data: {\"a\":1}\n\n")
    }

    @Test func lineBreaksBecomeSeveralDataLines() {
        #expect(framed("{\n\"a\": 1\r\n}") == "data: {\ndata: \"a\": 1\ndata: }\n\n")
    }

    @Test func bufferIsReusedAcrossEvents() {
        var frame = SSEFrame()
        Array("first".utf8).withUnsafeBytes { frame.frame($0) }
        Array("2".utf8).withUnsafeBytes { frame.frame($0) }
        var out = ""
        frame.withBytes { out = String(decoding: $0, as: UTF8.self) }
        #expect(out == "data: 2\n\n")
    }
}
