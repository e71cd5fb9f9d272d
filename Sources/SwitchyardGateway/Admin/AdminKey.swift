/// The `admin.key` check: `Authorization: Bearer <key>`, compared in constant time (the time
/// taken does not depend on where a wrong key first differs, nor on its length up to the key's).
struct AdminKey: Sendable {
    let bytes: [UInt8]

    init(_ key: String) { bytes = Array(key.utf8) }

    /// True when `authorization` (the header's value, nil when absent) is `Bearer <key>`.
    func admits(_ authorization: String?) -> Bool {
        guard let authorization else { return false }
        let given = Array(authorization.utf8)
        let scheme = Array("Bearer ".utf8)
        var difference = given.count == scheme.count + bytes.count ? 0 : 1
        for index in 0..<(scheme.count + bytes.count) {
            let expected = index < scheme.count ? scheme[index] : bytes[index - scheme.count]
            let actual = index < given.count ? given[index] : 0
            // The scheme is case-insensitive (RFC 9110): fold ASCII letters of that part only.
            let fold: UInt8 = index < scheme.count - 1 ? 0x20 : 0
            difference |= Int((actual | fold) ^ (expected | fold))
        }
        return difference == 0
    }
}
