import Testing

@testable import SwitchyardGateway

@Suite("admin key")
struct AdminKeyTests {
    let key = AdminKey("0123456789abcdef")

    @Test("the bearer key is admitted; the scheme's case does not matter")
    func admitted() {
        #expect(key.admits("Bearer 0123456789abcdef"))
        #expect(key.admits("bearer 0123456789abcdef"))
        #expect(key.admits("BEARER 0123456789abcdef"))
    }

    @Test("anything else is refused", arguments: [
        nil, "", "Bearer", "Bearer ", "0123456789abcdef", "Basic 0123456789abcdef", "Bearer 0123456789abcdeF",
        "Bearer 0123456789abcde", "Bearer 0123456789abcdef0", "Bearer  0123456789abcdef", "Bearer\t0123456789abcdef",
        "Bearer 0123456789ABCDEF",
    ])
    func refused(header: String?) {
        #expect(!key.admits(header))
    }
}
