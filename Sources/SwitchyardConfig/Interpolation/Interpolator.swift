/// Expands environment references inside one scalar's text.
///
/// Forms (names are `[A-Za-z_][A-Za-z0-9_]*`):
/// - `${VAR}`: the value; an error when VAR is unset (set-but-empty gives "").
/// - `${VAR:-default}`: the value, or `default` when VAR is unset or empty.
/// - `${VAR:+word}`: `word` when VAR is set and non-empty, else "".
/// - `$$`: a literal `$`. A `$` followed by anything else is kept as is (secrets often hold `$`).
/// `default` and `word` may themselves contain references (`${A:-${B}}`); braces nest.
/// The result is never parsed as YAML again, so values cannot inject structure.
struct Interpolator {
    let environment: Environment

    /// Why a scalar could not be expanded; the caller adds the location and key path.
    struct Failure: Error {
        let message: String
    }

    func expand(_ text: String) throws(Failure) -> String {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }  // the common case
        var scalars = Array(text.unicodeScalars)[...]
        return try expand(&scalars, nested: false)
    }

    /// Consumes `input` up to the end, or (when `nested`) up to the `}` closing the enclosing
    /// reference, which is left in place for the caller.
    private func expand(_ input: inout ArraySlice<Unicode.Scalar>, nested: Bool) throws(Failure) -> String {
        var out = String.UnicodeScalarView()
        while let scalar = input.first {
            if nested && scalar == "}" { return String(out) }
            input.removeFirst()
            guard scalar == "$", let next = input.first else {
                out.append(scalar)
                continue
            }
            if next == "$" {
                input.removeFirst()
                out.append("$")
            } else if next == "{" {
                input.removeFirst()
                out.append(contentsOf: try reference(&input).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        if nested { throw Failure(message: "unterminated \"${\" (missing \"}\")") }
        return String(out)
    }

    /// Parses `NAME}`, `NAME:-default}` or `NAME:+word}` after a `${`.
    private func reference(_ input: inout ArraySlice<Unicode.Scalar>) throws(Failure) -> String {
        var name = String.UnicodeScalarView()
        while let scalar = input.first, isNameScalar(scalar, first: name.isEmpty) {
            name.append(scalar)
            input.removeFirst()
        }
        let variable = String(name)
        guard let next = input.first else { throw Failure(message: "unterminated \"${\" (missing \"}\")") }
        guard !variable.isEmpty else {
            throw Failure(message: "invalid reference \"${\(next)\": a variable name must start with a letter or \"_\"")
        }
        let value = environment.value(of: variable)
        if next == "}" {
            input.removeFirst()
            guard let value else {
                throw Failure(message: "environment variable \(variable) is not set (write ${\(variable):-default} to give a default)")
            }
            return value
        }
        let operatorText = String(String.UnicodeScalarView(input.prefix(2)))
        guard operatorText == ":-" || operatorText == ":+" else {
            throw Failure(message: "invalid reference to \(variable): expected \"}\", \":-\" or \":+\" after the name, found \"\(next)\"")
        }
        input.removeFirst(2)
        let word = try expand(&input, nested: true)
        input.removeFirst()  // the closing brace, guaranteed by expand(nested: true)
        let isSet = !(value ?? "").isEmpty
        if operatorText == ":-" { return isSet ? value! : word }
        return isSet ? word : ""
    }

    private func isNameScalar(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "_": return true
        case "0"..."9": return !first
        default: return false
        }
    }
}
