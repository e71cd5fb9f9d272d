/// The lines a validating child writes to its report descriptor (`ChildProcess.reportFD`), one
/// per event, tab-separated, so a plugin's own output (stdout, stderr) can never be taken for
/// one:
///
///     start  <check>
///     warn   <check>  <message>
///     ok     <check>
///     fail   <check>  <message>
///     skip   <check>  <message>
///
/// The parent reads them after the child ended: a `start` with no end line is the check that
/// was running when the child died or was killed.
public enum ValidationProgress {
    public static func start(_ name: String) -> String { "start\t\(name)\n" }
    public static func warning(_ name: String, _ message: String) -> String { "warn\t\(name)\t\(clean(message))\n" }

    public static func end(_ result: ValidationResult) -> String {
        switch result.verdict {
        case .passed: "ok\t\(result.name)\n"
        case .failed(let message): "fail\t\(result.name)\t\(clean(message))\n"
        case .skipped(let reason): "skip\t\(result.name)\t\(clean(reason))\n"
        }
    }

    /// One line per message: tabs and line breaks become spaces, and a message is cut at 1 KiB (the parent keeps 64 KiB of reports).
    static func clean(_ message: String) -> String {
        var text = String(message.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 })
        if text.utf8.count > 1024 { text = String(decoding: text.utf8.prefix(1021), as: UTF8.self) + "..." }
        return text
    }

    /// The child's `fail validator MESSAGE` line (it could not run any check: its fixtures
    /// failed to load), as MESSAGE; nil when there is none.
    public static func validatorFailure(_ bytes: [UInt8]) -> String? {
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: "\t"), maxSplits: 2, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            if fields.count == 3 && fields[0] == "fail" && fields[1] == "validator" { return fields[2] }
        }
        return nil
    }

    /// What a child reported: the checks it finished, in order, and the one it started and did
    /// not finish (nil when none). Lines that do not parse are ignored (a cut-off last line).
    public static func parse(_ bytes: [UInt8]) -> (finished: [ValidationResult], running: String?, runningWarnings: [String]) {
        var finished: [ValidationResult] = []
        var running: String?
        var warnings: [String] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: "\t"), maxSplits: 2, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            guard fields.count >= 2 else { continue }
            let message = fields.count > 2 ? fields[2] : ""
            switch fields[0] {
            case "start":
                running = fields[1]
                warnings = []
            case "warn" where fields[1] == running:
                warnings.append(message)
            case "ok", "fail", "skip":
                guard fields[1] == running else { continue }
                let verdict: ValidationVerdict = fields[0] == "ok" ? .passed : fields[0] == "fail" ? .failed(message) : .skipped(message)
                finished.append(ValidationResult(name: fields[1], verdict: verdict, warnings: warnings))
                running = nil
                warnings = []
            default:
                continue
            }
        }
        return (finished, running, warnings)
    }
}
