#if canImport(Glibc)
import Glibc
#endif

/// Where `${VAR}` references are looked up. Injectable so tests never touch the process env.
public struct Environment: Sendable {
    private let lookup: @Sendable (String) -> String?

    /// Any lookup; return nil for "not set".
    public init(lookup: @escaping @Sendable (String) -> String?) {
        self.lookup = lookup
    }

    /// A fixed set of variables; everything else is unset.
    public static func values(_ values: [String: String]) -> Environment {
        Environment { values[$0] }
    }

    /// The process environment, read with `getenv` at the moment of lookup.
    public static var process: Environment {
        Environment { name in getenv(name).map { String(cString: $0) } }
    }

    /// This environment, with `defaults` for variables it does not set (a variable set to
    /// the empty string is set).
    public func withDefaults(_ defaults: [String: String]) -> Environment {
        Environment { name in self.value(of: name) ?? defaults[name] }
    }

    /// The variable's value, or nil when it is not set.
    public func value(of name: String) -> String? {
        lookup(name)
    }
}
