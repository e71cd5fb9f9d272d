import Synchronization
import SwitchyardCore

/// A request's hold on the local ledger: the scopes whose concurrency slot and tokens it
/// counts against, and the budget windows it reserved in. Settles once; a second `settle` is
/// counted (and trips an assertion in debug builds, unless a test turns that off) and changes
/// nothing. Threading: `settle` may run on any loop; the ledger's lock orders it.
final class LocalSettlement: Settlement {
    struct RateHold: Sendable {
        let scope: String
        let concurrency: Bool
        let tokens: Bool
    }

    struct BudgetHold: Sendable {
        let key: LocalLedger.BudgetKey
        /// The period window the reservation was made in; the cost counts there.
        let window: Int64
    }

    let ledger: LocalLedger
    let rates: [RateHold]
    let holds: [BudgetHold]
    let reserved: Micros
    let responseHeaders: [(name: String, value: String)]
    private let settled = Atomic<Bool>(false)

    /// Tests that settle twice on purpose turn the debug assertion off.
    static let assertsOnDoubleSettle = Atomic<Bool>(true)

    init(ledger: LocalLedger, rates: [RateHold], holds: [BudgetHold], reserved: Micros, responseHeaders: [(name: String, value: String)]) {
        self.ledger = ledger
        self.rates = rates
        self.holds = holds
        self.reserved = reserved
        self.responseHeaders = responseHeaders
    }

    func settle(cost: Micros, tokens: Int, status: Int) {
        guard !settled.exchange(true, ordering: .acquiringAndReleasing) else {
            ledger.noteDoubleSettlement()
            assert(!Self.assertsOnDoubleSettle.load(ordering: .relaxed), "a request settled twice")
            return
        }
        ledger.release(self, cost: cost, tokens: tokens)
    }

    var isSettled: Bool { settled.load(ordering: .acquiring) }
}
