/// What each enricher of one request did, for the access log
/// (`enrichers="openai-usage:reported audit:declined slow:slow(data)"`). Loop-confined.
struct EnricherRecord {
    enum Outcome {
        case reported, declined
        /// Its `end` wrote no report.
        case silent
        /// The hook that failed.
        case failed(String)
        /// The hook that ran past the deadline.
        case slow(String)

        var text: String {
            switch self {
            case .reported: "reported"
            case .declined: "declined"
            case .silent: "silent"
            case .failed(let hook): "error(\(hook))"
            case .slow(let hook): "timeout(\(hook))"
            }
        }
    }

    private var entries: [(enricher: String, outcome: Outcome)] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func note(_ enricher: String, _ outcome: Outcome) {
        entries.append((enricher, outcome))
    }

    /// Entry names are `[a-z0-9_-]+` (EntryName) and hooks fixed words: nothing needs escaping.
    func write(into line: inout [UInt8]) {
        for (index, entry) in entries.enumerated() {
            if index > 0 { line.append(0x20) }
            line.append(contentsOf: entry.enricher.utf8)
            line.append(UInt8(ascii: ":"))
            line.append(contentsOf: entry.outcome.text.utf8)
        }
    }
}
