import Testing

@testable import SwitchyardConfig

@Suite("providers[].retry and server.request_deadline")
struct RetrySectionTests {
    /// One provider whose flow-style entry is on line 5: `  - {name: oai, plugin: oai, models: [m], FIELDS}`.
    static func provider(_ fields: String) -> String {
        """
        plugins:
          - name: oai
            path: /p/libProviderOpenAI.so
        providers:
          - {name: oai, plugin: oai, models: [m], \(fields)}

        """
    }

    @Test("absent or attempts 0: no retries; the defaults fill what a block leaves out")
    func defaults() throws {
        #expect(try parse(Self.provider("enabled: true")).providers[0].retry == nil)
        #expect(try parse(Self.provider("retry: {attempts: 0}")).providers[0].retry == nil)
        let retry = try #require(try parse(Self.provider("retry: {attempts: 2}")).providers[0].retry)
        #expect(retry == RetryConfig(attempts: 2))
        #expect(retry.statuses == [429, 500, 502, 503, 504] && retry.onConnect && retry.onTimeout)
        #expect(retry.initialBackoff == .milliseconds(200) && retry.maxBackoff == .seconds(5) && retry.retryAfterCap == .seconds(10))
    }

    @Test("every key as the brief writes it")
    func full() throws {
        let retry = try parse(Self.provider("retry: {attempts: 3, on: [429, 503, connect], backoff: {initial: 50ms, max: 1s}, retry_after_cap: 2s}")).providers[0].retry
        #expect(retry == RetryConfig(attempts: 3, statuses: [429, 503], onConnect: true, onTimeout: false,
                                     initialBackoff: .milliseconds(50), maxBackoff: .seconds(1), retryAfterCap: .seconds(2)))
    }

    @Test("server.request_deadline: none by default, any duration")
    func deadline() throws {
        #expect(try parse(Self.provider("enabled: true")).server.requestDeadline == .zero)
        #expect(try parse("server: {request_deadline: 30s}\n" + Self.provider("enabled: true")).server.requestDeadline == .seconds(30))
        #expect(errorText("server: {request_deadline: soon}\n" + Self.provider("enabled: true"))?.contains("server.request_deadline: expected a duration") == true)
    }

    @Test("errors name the key", arguments: [
        ("retry: {on: [429]}", #"providers[0].retry: missing required key "attempts""#),
        ("retry: {attempts: 11}", "providers[0].retry.attempts:"),
        ("retry: {attempts: -1}", "providers[0].retry.attempts:"),
        ("retry: {attempts: 2, on: [200]}", #"providers[0].retry.on[0]: expected an HTTP status 400-599, connect or timeout, got "200""#),
        ("retry: {attempts: 2, on: [refused]}", #"providers[0].retry.on[0]: expected an HTTP status 400-599, connect or timeout, got "refused""#),
        ("retry: {attempts: 2, on: [503, 503]}", "providers[0].retry.on[1]: status 503 is listed twice"),
        ("retry: {attempts: 2, on: []}", "providers[0].retry.on: list what is retried"),
        ("retry: {attempts: 2, backoff: {initial: 2s, max: 1s}}", "providers[0].retry.backoff.max: backoff.max"),
        ("retry: {attempts: 2, backoff: {initial: 0}}", "providers[0].retry.backoff.initial: must be greater than zero"),
        ("retry: {attempts: 2, backof: {}}", #"providers[0].retry.backof: unknown key (did you mean "backoff"?)"#),
        ("retry: {attempts: 2, retry_after_cap: x}", "providers[0].retry.retry_after_cap: expected a duration"),
    ])
    func errors(fields: String, expected: String) {
        let text = errorText(Self.provider(fields))
        #expect(text?.contains(expected) == true, "\(text ?? "no error")")
    }
}
