#if canImport(Glibc)
import Glibc
#endif

/// One named check of `switchyard plugins validate`. Each family of checks (exports, negotiate,
/// manifest, instance, provider, guardrail, enricher, batch, concurrency, malformed, handles,
/// leak) lives in its own file and contributes its checks to `ValidationCatalog`.
public struct ValidationCheck: Sendable {
    public let name: String
    let body: @Sendable (ValidationContext) -> ValidationVerdict

    init(_ name: String, _ body: @escaping @Sendable (ValidationContext) -> ValidationVerdict) {
        self.name = name
        self.body = body
    }
}

/// Every check, in the order they run: each family needs what the ones before it proved (a
/// library that loads, an instance), and a check that fails leaves the next ones to skip.
public enum ValidationCatalog {
    public static var checks: [ValidationCheck] {
        ExportChecks.all + NegotiationChecks.all + ManifestChecks.all + InstanceChecks.all + ProviderChecks.all
            + GuardrailChecks.all + EnricherChecks.all + BatchPreparerChecks.all + ConcurrencyChecks.all
            + MalformedInputChecks.all + HandleChecks.all + LeakChecks.all
    }
}

/// `body` with the value a `require…` gave, or the skip it gave.
func with<T>(_ required: Result<T, ValidationSkip>, _ body: (T) -> ValidationVerdict) -> ValidationVerdict {
    switch required {
    case .success(let value): body(value)
    case .failure(let skip): .skipped(skip.reason)
    }
}

/// Resident memory of this process, in bytes (/proc/self/statm).
func residentBytes() -> Int {
    guard let text = readSmallFile("/proc/self/statm") else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(getpagesize())
}

func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = read(fd, &buffer, buffer.count)
    return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
}

func mebibytes(_ bytes: Int) -> String {
    let tenths = bytes * 10 / (1 << 20)
    return "\(tenths / 10).\(abs(tenths % 10)) MiB"
}
