import Foundation
import SwitchyardHTTP
import Testing

/// Streamed responses with a declared length (forwarding an upstream's Content-Length body), and
/// responses that may not carry a body.
@Suite(.serialized) struct StreamedResponseTests {
    @Test func aLengthStreamWrittenInFullKeepsTheConnection() throws {
        try withStreamingServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET /len?n=5&write=5 HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.headers["content-length"] == "5")
            #expect(response.headers["transfer-encoding"] == nil)
            #expect(response.text == "xxxxx")
            client.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponse()?.text == "GET /again body=0")
        }
    }

    @Test func aLengthStreamEndedShortClosesTheConnection() throws {
        try withStreamingServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET /len?n=10&write=4 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponse() == nil)  // the body is cut short: no whole response
            #expect(String(decoding: client.unread, as: UTF8.self).hasSuffix("\r\n\r\nxxxx"))
            #expect(client.isClosedByServer())
        }
    }

    @Test func bytesPastTheDeclaredLengthAreDroppedAndTheConnectionCloses() throws {
        try withStreamingServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET /len?n=3&write=8 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponse()?.text == "xxx")
            #expect(client.isClosedByServer())
            #expect(client.unread.isEmpty)
        }
    }

    @Test func aHEADAnswerAnnouncesTheLengthAndSendsNoBody() throws {
        try withStreamingServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("HEAD /len?n=7&write=7 HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try #require(client.readResponse(toHEAD: true))
            #expect(head.headers["content-length"] == "7")
            #expect(client.readResponse()?.text == "GET /next body=0")
        }
    }

    @Test func a204StreamHasNoFramingAndNoBody() throws {
        try withStreamingServer { server, _ in
            let client = try RawClient(port: server.port)
            client.send("GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 204)
            #expect(response.headers["transfer-encoding"] == nil)
            #expect(response.headers["content-length"] == nil)
            #expect(client.readResponse()?.text == "GET /next body=0")
        }
    }
}
