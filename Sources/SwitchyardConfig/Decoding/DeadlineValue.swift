extension ConfigValue {
    /// A duration greater than zero and at most `maximum`, in nanoseconds (a per-entry deadline).
    /// `limit` explains the bound in the error, e.g. "must be at most 10m: the request waits while
    /// a guardrail runs".
    func deadline(atMost maximum: Duration, limit: String) throws(ConfigError) -> UInt64 {
        let deadline = try duration()
        guard deadline > .zero else { throw error("must be greater than zero") }
        guard deadline <= maximum else { throw error(limit) }
        let (seconds, attoseconds) = deadline.components
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
