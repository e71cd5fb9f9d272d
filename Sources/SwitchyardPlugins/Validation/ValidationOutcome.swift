/// What one validator check found, and the report a person reads.
public enum ValidationVerdict: Sendable, Equatable {
    case passed
    case failed(String)
    case skipped(String)
}

/// One check's result as the report shows it; `warnings` are lines that do not fail it.
public struct ValidationResult: Sendable, Equatable {
    public var name: String
    public var verdict: ValidationVerdict
    public var warnings: [String]

    public init(name: String, verdict: ValidationVerdict, warnings: [String] = []) {
        self.name = name
        self.verdict = verdict
        self.warnings = warnings
    }

    /// The family: what precedes the first dot (`provider` of `provider.stream.random-splits`).
    public var family: String { String(name.prefix(while: { $0 != "." })) }
}

/// Renders results as the report `switchyard plugins validate` prints:
///
///     ok    negotiate.host-minor-0
///     FAIL  provider.stream.random-splits: output differs ... (seed 4242)
///     skip  guardrail.*: not a guardrail
///     warn  exports.only-entry: 3 other exported symbols: a, b, c
///   12 passed, 1 failed, 5 skipped
///
/// Consecutive skips of one family for the same reason collapse into one `family.*` line.
public enum ValidationReport {
    public static func lines(_ results: [ValidationResult]) -> [String] {
        var stream = Stream()
        return results.flatMap { stream.add($0) } + stream.finish()
    }

    /// The same lines, result by result, for a report printed while the checks run: a skip is
    /// held back until the next result shows whether it starts a `family.*` group.
    public struct Stream {
        private var pending: [ValidationResult] = []

        public init() {}

        /// The lines `result` completes (none while a skip group may go on).
        public mutating func add(_ result: ValidationResult) -> [String] {
            if let first = pending.first, result.family == first.family, result.verdict == first.verdict, result.warnings.isEmpty {
                pending.append(result)
                return []
            }
            var lines = finish()
            if case .skipped = result.verdict {
                pending = [result]
                return lines
            }
            switch result.verdict {
            case .passed: lines.append("  ok    \(result.name)")
            case .failed(let message): lines.append("  FAIL  \(result.name): \(message)")
            case .skipped: break
            }
            return lines + result.warnings.map { "  warn  \(result.name): \($0)" }
        }

        /// The lines still held back.
        public mutating func finish() -> [String] {
            guard let first = pending.first, case .skipped(let reason) = first.verdict else { return [] }
            let name = pending.count > 1 ? "\(first.family).*" : first.name
            pending = []
            return ["  skip  \(name): \(reason)"] + first.warnings.map { "  warn  \(first.name): \($0)" }
        }
    }

    public static func summary(_ results: [ValidationResult]) -> String {
        var passed = 0, failed = 0, skipped = 0
        for result in results {
            switch result.verdict {
            case .passed: passed += 1
            case .failed: failed += 1
            case .skipped: skipped += 1
            }
        }
        return "\(passed) passed, \(failed) failed, \(skipped) skipped"
    }

    public static func hasFailure(_ results: [ValidationResult]) -> Bool {
        results.contains { if case .failed = $0.verdict { true } else { false } }
    }
}
