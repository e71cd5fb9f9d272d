import CSwitchyardPlugin

/// The header fields of a head (an upstream response's, or an enricher's request and response
/// heads), borrowed from the host for the hook they were passed to: nothing is converted until
/// asked for (most plugins only look at one or two fields, or none).
public struct ResponseHeaders {
    let raw: UnsafePointer<sy_header>?
    public let count: Int

    init(_ raw: UnsafePointer<sy_header>?, count: Int) {
        self.raw = raw
        self.count = raw == nil ? 0 : count
    }

    /// The first value of `name` (ASCII case-insensitive), copied.
    public subscript(name: String) -> String? {
        guard let raw else { return nil }
        let wanted = Array(name.utf8)
        for index in 0..<count {
            let header = raw[index]
            guard header.name.len == wanted.count else { continue }
            let matches = header.name.buffer.elementsEqual(wanted) { ($0 | 0x20) == ($1 | 0x20) }
            if matches { return header.value.string }
        }
        return nil
    }

    /// Every field, copied.
    public var pairs: [(name: String, value: String)] {
        (0..<count).map { (raw![$0].name.string, raw![$0].value.string) }
    }
}
