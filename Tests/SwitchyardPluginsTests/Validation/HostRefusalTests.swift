import CSwitchyardPlugin
@testable import SwitchyardPlugins
import SwitchyardPosix
import Testing

/// The validator tells a write the host refused from a plugin's own failure by the flag the host
/// sets, not by words in the message: a plugin may well say "refused" or "SY_OUT" itself.
@Suite struct HostRefusalTests {
    @Test func aPluginsOwnWordsAreNotAHostRefusal() {
        let own = PluginFailure(status: SY_E_INVALID, message: "model refused by policy (SY_OUT_JSON not written)")
        #expect(!own.refusedByHost)
        #expect(ProviderHarness.isRefusal(own) == nil)
    }

    @Test func theValidatorsCallsHaveADeadline() {
        // call_deadline_ns in the validator's hooks: a real deadline, as the gateway gives one.
        let deadline = ValidationCallSource.withCall("deadline") { call in PluginCall.from(call.handle)?.hookDeadline ?? 0 }
        #expect(deadline > monotonicNanoseconds())
    }

    @Test func theHostsRefusalIsFlagged() {
        let refused = PluginFailure(status: SY_E_UPSTREAM, message: "the output check said no", refusedByHost: true)
        #expect(ProviderHarness.isRefusal(refused) == "the output check said no")
    }
}
