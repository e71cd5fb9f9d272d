/// The detectors that come with the plugin, in the order they are reported. Patterns are ASCII
/// (compiled without UTF mode, so `\w` and `\d` are ASCII classes). Each starts with a negative
/// lookbehind so a candidate never starts in the middle of a longer word or number, and most end
/// with a negative lookahead for the same reason. Runs of digits and the email's local part are
/// possessive (`{1,4}+`): giving back a digit could never make the match succeed, and would only
/// multiply the backtracking on a long run of digits. README.md explains each one.
enum BuiltInDetectors {
    struct Definition {
        let name: String
        let pattern: String
        let validation: Detector.Validation
        var holdsOnceItContains: UInt8? = nil
        var prefilter = Prefilter.none
    }

    static let all: [Definition] = [
        Definition(
            name: "email",
            // At most 16 domain labels, each atomic: an unbounded label repeat let a 20 KB "a.a.a…"
            // domain exhaust PCRE2's JIT stack (the inspect failed, and on_error decided).
            pattern: #"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}+@(?>[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,16}[A-Za-z]{2,63}(?![\w-])"#,
            validation: .none, holdsOnceItContains: UInt8(ascii: "@"), prefilter: Prefilter(requiredByte: UInt8(ascii: "@"))),
        // International (+CC, then 2-7 groups, optional spaces/dots/dashes, (0) or (area) allowed);
        // NANP 415-555-2671 / (415) 555-2671; national with a trunk 0: 020 7946 0958,
        // 06.12.34.56.78, (030) 1234567. Without a `+`, a separator is required: a plain run of
        // digits (an order id) is not a phone number.
        Definition(
            name: "phone",
            pattern: #"(?<![\w+.-])(?:\+[1-9]\d{0,2}(?:[ .-]?(?:\(\d{1,4}+\)|\d{1,4}+)){2,7}+"#
                + #"|(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}"#
                + #"|0\d{1,4}+([ ./-])\d{2,8}+(?:\1\d{2,8}+){0,4}+"#
                + #"|\(0\d{1,4}+\) ?\d{2,8}+(?:[ .-]\d{2,8}+){0,4}+)(?!\w|[.-]\d)"#,
            validation: .phoneDigitCount, prefilter: Prefilter(minimumDigits: 8)),
        // 13-19 digits, first 1-9, single spaces or dashes allowed between any two; Luhn decides.
        Definition(
            name: "card",
            pattern: #"(?<![\w.+])[1-9](?:[ -]?\d){12,18}(?!\w|[.,]\d)"#,
            validation: .luhn, prefilter: Prefilter(minimumDigits: 13)),
        // Country code, check digits, then the BBAN as it is printed (groups of four, optionally
        // space-separated, a shorter last group) or in one piece; mod-97 decides.
        Definition(
            name: "iban",
            pattern: #"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?!\w)"#,
            validation: .ibanMod97),
        Definition(name: "anthropic_key", pattern: #"(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}"#, validation: .none),
        Definition(
            name: "openai_key",
            pattern: #"(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"#,
            validation: .none),
        Definition(name: "google_api_key", pattern: #"(?<![\w-])AIza[A-Za-z0-9_-]{35}(?![\w-])"#, validation: .none),
        Definition(name: "aws_access_key", pattern: #"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"#, validation: .none),
        Definition(
            name: "github_token",
            pattern: #"(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"#,
            validation: .none),
        Definition(name: "slack_token", pattern: #"(?<![\w-])xox[bpoas]-[A-Za-z0-9-]{10,}"#, validation: .none),
        // `\K`: the scheme stays readable ("Bearer [REDACTED:bearer_token]"), the token goes.
        Definition(
            name: "bearer_token",
            pattern: #"(?<!\w)(?i:bearer)[ \t]+\K[A-Za-z0-9._~+/-]{20,}=*"#,
            validation: .none),
    ]

    static var names: [String] { all.map(\.name) }
}
