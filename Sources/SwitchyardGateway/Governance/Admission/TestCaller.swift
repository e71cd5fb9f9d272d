import Glibc
import SwitchyardCore
import SwitchyardHTTP

/// Tests only: a caller named by the request's `x-switchyard-test-caller` header
/// (`key_id[,user[,team]]`), honoured only when the gateway started with
/// `SWITCHYARD_TEST_CALLER_HEADER=1` and the request has no caller of its own, so end-to-end
/// tests of budgets reach key, user and team scopes without virtual keys. Never set it in
/// production: any client could then pick the scopes it is counted against.
enum TestCaller {
    static let header = "x-switchyard-test-caller"

    static var enabled: Bool {
        guard let value = getenv("SWITCHYARD_TEST_CALLER_HEADER") else { return false }
        return String(cString: value) == "1"
    }

    static func from(_ headers: HTTPHeaders) -> Caller? {
        guard let value = headers[header], !value.isEmpty else { return nil }
        let parts = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return Caller(keyID: parts[0], keyPrefix: "sk-sy-test", user: parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil,
                      team: parts.count > 2 && !parts[2].isEmpty ? parts[2] : nil)
    }
}
