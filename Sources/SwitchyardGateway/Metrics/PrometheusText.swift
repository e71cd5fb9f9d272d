/// Builds the Prometheus text exposition format, version 0.0.4: per family a `# HELP` and a
/// `# TYPE` line, then its samples, `name{label="value",…} value`. Label values are escaped
/// (backslash, double quote, line feed), and so is help text (backslash, line feed).
public struct PrometheusText: Sendable {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// Starts a family: its help and type lines.
    public mutating func family(_ name: String, _ kind: Kind, help: String) {
        append("# HELP \(name) ")
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            default: bytes.append(byte)
            }
        }
        append("\n# TYPE \(name) \(kind.rawValue)\n")
    }

    /// One sample with an integer value.
    public mutating func sample(_ name: String, _ labels: [(String, String)], _ value: UInt64) {
        head(name, labels)
        append(String(value))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// One sample with a real value (`+Inf`, `-Inf` and `NaN` as the format spells them).
    public mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        head(name, labels)
        append(Self.format(value))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A histogram's samples: cumulative `_bucket{le=…}` over `bounds` then `+Inf`, `_sum`, `_count`.
    /// `counts` are per bucket (not cumulative), one more than `bounds` (the last is `+Inf`'s).
    public mutating func histogram(_ name: String, _ labels: [(String, String)], bounds: [Double], counts: [UInt64], sum: Double) {
        precondition(counts.count == bounds.count + 1, "one count per bound, and +Inf's")
        var cumulative: UInt64 = 0
        for (index, count) in counts.enumerated() {
            cumulative &+= count
            let le = index < bounds.count ? Self.format(bounds[index]) : "+Inf"
            sample(name + "_bucket", labels + [("le", le)], cumulative)
        }
        sample(name + "_sum", labels, sum)
        sample(name + "_count", labels, cumulative)
    }

    /// `value` as the format reads it: Go's float syntax, integers without a fraction.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private mutating func head(_ name: String, _ labels: [(String, String)]) {
        append(name)
        guard !labels.isEmpty else { return bytes.append(UInt8(ascii: " ")) }
        bytes.append(UInt8(ascii: "{"))
        for (index, (label, value)) in labels.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            append(label)
            append("=\"")
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): append("\\\\")
                case UInt8(ascii: "\""): append("\\\"")
                case UInt8(ascii: "\n"): append("\\n")
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
        append("} ")
    }

    /// Appends raw text (already in the format: a source's own lines).
    public mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
}
