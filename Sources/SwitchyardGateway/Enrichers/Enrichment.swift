import SwitchyardJSON

/// What the enrichers of one request learned, merged: for each fact the first report (in config
/// order) that has it. Usage is kept as the report's bytes, which `UsageCounts` reads like a
/// provider's metadata (the same canonical `{"usage":{...}}`).
struct Enrichment {
    var operation: String?
    var model: String?
    var auditPath: String?
    /// The first report carrying `usage` (the whole report: UsageCounts reads its member).
    var usage: [UInt8]?
    var record: EnricherRecord

    init(reports: [[UInt8]], record: EnricherRecord) {
        self.record = record
        for report in reports {
            // The host checked each report when it was written (one JSON object, usage counts
            // non-negative integers); parsing once per request is cheap next to the exchange.
            guard let value = try? JSONValue.parse(report), case .object(let object) = value else { continue }
            if operation == nil, case .string(let text)? = object["operation"] { operation = text }
            if model == nil, case .string(let text)? = object["model"] { model = text }
            if auditPath == nil, case .string(let text)? = object["audit_path"] { auditPath = text }
            if usage == nil, case .object? = object["usage"] { usage = report }
        }
    }
}
