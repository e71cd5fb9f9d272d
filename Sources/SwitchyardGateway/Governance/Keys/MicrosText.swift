import SwitchyardCore

/// Money as the admin API writes it, a plain decimal number in the catalog's currency
/// ("12.5"), to and from `Micros` (millionths). Exact: no floating point on the way.
enum MicrosText {
    /// "12.5" → 12_500_000; nil when not a non-negative plain decimal with at most 6 decimals
    /// (or above a trillion).
    static func parse(_ text: String) -> Micros? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 12, whole.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        if parts.count == 2, fraction.isEmpty { return nil }
        guard fraction.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        while fraction.count > 6, fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= 6 else { return nil }
        fraction += String(repeating: "0", count: 6 - fraction.count)
        guard let units = Int64(whole), let millionths = Int64(fraction) else { return nil }
        return units * 1_000_000 + millionths
    }

    /// 12_500_000 → "12.5"; 3_000_000 → "3".
    static func render(_ micros: Micros) -> String {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + String(magnitude / 1_000_000) + (fraction.isEmpty ? "" : "." + fraction)
    }
}
