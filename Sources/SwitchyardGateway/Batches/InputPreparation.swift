import SwitchyardCore
import SwitchyardPosix
import SwitchyardUpstream

/// A batch's input file, read as a stream (from its provider, or from the gateway's disk for a
/// held file) and run line by line through the batch's preparation (preparer plugins, then
/// guardrails), each kept line handed to `keepLine` (which writes it to a spool, as a line or as
/// the provider's own item). The file is never held whole: reading pauses while a line waits
/// (a guardrail that pauses) and the splitter holds one unfinished line.
///
/// Ends once, through `completion`: whether any line changed and how many were kept, or the
/// first refusal (its message names the line) / the source's failure.
///
/// Threading: loop-confined (the batch request's loop). Lifetime: retained by the transfer and
/// the creation that started it; `cancel()` stops everything.
final class InputPreparation: UpstreamResponseDelegate {
    struct Prepared {
        let changed: Bool
        let lines: Int
    }

    /// Takes one kept line (its number, its bytes as prepared); throws to fail the batch.
    typealias LineKeeper = (Int, ArraySlice<UInt8>) throws(GatewayError) -> Void

    private let preparation: BatchLinePreparation
    private let provider: String
    private let keepLine: LineKeeper
    private var lines: JSONLines
    private var completion: ((Result<Prepared, GatewayError>) -> Void)?
    private var transfer: (any UpstreamCall)?
    private var status = 0
    private var errorBody: [UInt8] = []
    private var downloaded = false
    private var waiting = false
    private var paused = false
    private var changed = false
    private var kept = 0

    /// At most this long a line (a request): far above any request a batch API takes.
    static let maxLineBytes = 64 << 20
    /// At most this many requests a batch: Anthropic's bound (OpenAI's is 50,000). It also bounds
    /// what preparation keeps per line (custom_ids), whatever the file's size.
    static let maxRequests = 100_000

    init(preparation: BatchLinePreparation, provider: String, keepLine: @escaping LineKeeper, completion: @escaping (Result<Prepared, GatewayError>) -> Void) {
        self.preparation = preparation
        self.provider = provider
        self.keepLine = keepLine
        self.completion = completion
        lines = JSONLines(maxLineBytes: Self.maxLineBytes)
    }

    /// Reads the file from the provider.
    func start(_ request: UpstreamRequest, on client: UpstreamClient) {
        transfer = client.start(request, delegate: self)
    }

    /// Reads a file the gateway holds.
    func start(_ file: HeldFileReader, on loop: EventLoop) {
        transfer = HeldFileFeed(file, loop: loop, delegate: self)
    }

    func cancel() {
        completion = nil
        transfer?.cancel()
        transfer = nil
        preparation.cancel()
    }

    // MARK: download

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
    }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        guard completion != nil else { return }
        guard (200..<300).contains(status) else {
            if errorBody.count < 4096 { errorBody.append(contentsOf: chunk.prefix(4096 - errorBody.count)) }
            return
        }
        lines.append(chunk)
        pump()
    }

    func upstreamComplete(_ result: UpstreamResult) {
        transfer = nil
        guard completion != nil else { return }
        switch result {
        case .failure(let error):
            let message = "\(provider.isEmpty ? "The gateway" : "Provider " + provider) could not read the batch's input file: \(error.message)"
            finish(.failure(error.isTimeout ? .timeout(message) : .upstream(status: 502, message: message)))
        case .success where status == 404:
            finish(.failure(.invalidRequest("Provider \(provider) no longer has the batch's input file.", code: "file_not_found", param: "input_file_id")))
        case .success where !(200..<300).contains(status):
            let detail = String(decoding: errorBody, as: UTF8.self)
            finish(.failure(.upstream(status: 502, message: "Provider \(provider) refused to send the batch's input file (HTTP \(status)): \(detail)")))
        case .success:
            downloaded = true
            lines.finish()
            pump()
        }
    }

    // MARK: lines

    /// Hands the buffered lines to the preparation, one at a time; stops while one waits.
    private func pump() {
        while completion != nil, !waiting {
            switch lines.next() {
            case .needMore:
                if downloaded { return endOfInput() }
                return
            case .tooLong(let number):
                return finish(.failure(.invalidRequest("line \(number): longer than \(Self.maxLineBytes) bytes.", code: "invalid_batch_line")))
            case .line(let number, _) where kept == Self.maxRequests:
                return finish(.failure(.invalidRequest(
                    "line \(number): a batch holds at most \(Self.maxRequests) requests.", code: "invalid_batch_line")))
            case .line(let number, let bytes):
                waiting = true
                var inline = true
                preparation.prepare(line: Array(bytes), number: number) { [self] outcome in
                    waiting = false
                    keep(outcome, number: number, line: bytes)
                    if !inline { resume() }
                }
                inline = false
                if waiting {
                    // The line's answer comes later: hold the download until it does.
                    if !paused, let transfer { paused = true; transfer.pauseReceiving() }
                    return
                }
            }
        }
    }

    private func keep(_ outcome: BatchLineOutcome, number: Int, line: ArraySlice<UInt8>) {
        guard completion != nil else { return }
        do throws(GatewayError) {
            switch outcome {
            case .keep:
                // `line` is a value: a later answer still has its bytes, whatever the splitter did since.
                try keepLine(number, line)
            case .replace(let bytes):
                changed = true
                try keepLine(number, bytes[...])
            case .refuse(let error):
                return finish(.failure(error))
            }
            kept += 1
        } catch {
            finish(.failure(error))
        }
    }

    private func resume() {
        if paused, let transfer { paused = false; transfer.resumeReceiving() }
        pump()
    }

    private func endOfInput() {
        if let error = preparation.finish() { return finish(.failure(error)) }
        guard kept > 0 else { return finish(.failure(.invalidRequest("The input file has no requests.", code: "empty_batch"))) }
        finish(.success(Prepared(changed: changed, lines: kept)))
    }

    private func finish(_ result: Result<Prepared, GatewayError>) {
        guard let completion else { return }
        self.completion = nil
        if transfer != nil { transfer?.cancel(); transfer = nil }
        if case .failure = result { preparation.cancel() }
        completion(result)
    }
}
