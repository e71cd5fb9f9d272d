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

    /// The first value of `name` (ASCII case-insensitive; give it in lower case), borrowed like
    /// the headers: nothing is allocated.
    public func value(_ name: StaticString) -> UnsafeRawBufferPointer? {
        guard let raw else { return nil }
        let wanted = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        for index in 0..<count {
            let header = raw[index]
            guard header.name.len == wanted.count else { continue }
            if header.name.buffer.elementsEqual(wanted, by: { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }) { return header.value.buffer }
        }
        return nil
    }

    /// Every field, copied.
    public var pairs: [(name: String, value: String)] {
        (0..<count).map { (raw![$0].name.string, raw![$0].value.string) }
    }
}
