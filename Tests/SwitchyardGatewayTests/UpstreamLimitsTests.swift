@testable import SwitchyardGateway
import SwitchyardUpstream
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a client is told when an upstream fails, and the bound on buffered answers.
@Suite struct UpstreamLimitsTests {
    private var limits: UpstreamLimits {
        var limits = UpstreamLimits()
        limits.connectTimeout = 2_000_000_000
        limits.firstByteTimeout = 60_000_000_000
        limits.idleTimeout = 1_500_000_000
        limits.totalTimeout = 250_000_000
        limits.maxResponseBytes = 10
        limits.maxSSEEventBytes = 4
        return limits
    }

    @Test func eachTimeoutIsNamedWithItsConfiguredDuration() {
        let cases: [(UpstreamError.Kind, String)] = [
            (.connectTimeout, "upstream timed out: no connection within 2s"),
            (.firstByteTimeout, "upstream timed out: no response head within 60s"),
            (.idleTimeout, "upstream timed out: no bytes for 1.5s"),
            (.totalTimeout, "upstream timed out: not finished within the total timeout of 250ms"),
        ]
        for (kind, message) in cases {
            let failure = limits.failure(for: UpstreamError(kind, "detail from 10.0.0.7"), afterHead: false)
            #expect(failure.message == message)
            #expect(failure.httpStatus == 504 && failure.retryable)
        }
    }

    @Test func aClosedConnectionSaysWhenAndNeverWhere() {
        let error = UpstreamError(.closed, "recv: Connection reset by peer (http://10.0.0.7:8000/v1/chat/completions)")
        #expect(limits.failure(for: error, afterHead: true).message == "upstream closed the connection mid-response")
        #expect(limits.failure(for: error, afterHead: false).message == "upstream closed the connection before responding")
        #expect(limits.failure(for: error, afterHead: true).httpStatus == 502)
    }

    @Test func otherFailuresNameTheKindAndTheCauseButNoAddress() {
        let url = "http://10.0.0.7:8000/v1/chat/completions"
        let cases: [(UpstreamError, String)] = [
            (UpstreamError(.connect, "connect: Connection refused (\(url))", reason: UpstreamError.reason(errno: ECONNREFUSED)),
             "upstream unreachable (connection refused)"),
            (UpstreamError(.connect, "Failed to connect to 10.0.0.7 port 8000"), "upstream unreachable (could not connect)"),
            (UpstreamError(.resolve, "Could not resolve host: llm.internal"), "upstream unreachable (host name not resolved)"),
            (UpstreamError(.tls, "SSL certificate problem: self-signed certificate", reason: "certificate not trusted"),
             "upstream unreachable (certificate not trusted)"),
            (UpstreamError(.tooManyRedirects, "Maximum (50) redirects followed to \(url)"), "upstream request failed (too many redirects)"),
            (UpstreamError(.other, "bad chunk size at 10.0.0.7", reason: "malformed response"), "upstream request failed (malformed response)"),
            (UpstreamError(.other, "curl_multi_add_handle: out of memory"), "upstream request failed"),
        ]
        for (error, message) in cases {
            let failure = limits.failure(for: error, afterHead: false)
            #expect(failure.message == message)
            #expect(failure.httpStatus == 502 && failure.retryable)
        }
    }

    @Test func durationsReadAsWritten() {
        #expect(UpstreamLimits.text(300_000_000_000) == "300s")
        #expect(UpstreamLimits.text(250_000_000) == "250ms")
        #expect(UpstreamLimits.text(1_050_000_000) == "1.05s")
        #expect(UpstreamLimits.text(1) == "1ms")
    }

    @Test func bufferedAnswersAreBoundedAsAWholeAndStreamsByEvent() {
        let chunk: [UInt8] = Array("abcd".utf8)
        var buffered = UpstreamBodyBound(streamed: false, limits: limits)
        #expect(chunk.withUnsafeBytes { buffered.admit($0) })
        #expect(chunk.withUnsafeBytes { buffered.admit($0) })
        #expect(!chunk.withUnsafeBytes { buffered.admit($0) })  // 12 > 10
        #expect(buffered.failure.message == "upstream response larger than server.max_upstream_response_bytes (10 bytes)")
        var streamed = UpstreamBodyBound(streamed: true, limits: limits)
        let events: [UInt8] = Array("abc\n\nabc\n\n".utf8)
        #expect(events.withUnsafeBytes { streamed.admit($0) })
        #expect(chunk.withUnsafeBytes { streamed.admit($0) })  // an event of 4 bytes so far: at the limit
        #expect(!chunk.withUnsafeBytes { streamed.admit($0) })  // 8 bytes, no blank line: past it
        #expect(streamed.failure.message == "upstream sent a stream event larger than server.max_sse_event_bytes (4 bytes)")
    }
}
