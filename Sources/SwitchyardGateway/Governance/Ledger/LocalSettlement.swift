import Synchronization
import SwitchyardCore
import SwitchyardPosix

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
    /// The loop the request was admitted on: a flush of its spend is scheduled there (nil in
    /// tests without loops: written at once).
    let loop: EventLoop?
    let rates: [RateHold]
    let holds: [BudgetHold]
    let reserved: Micros
    let estimatedTokens: Int
    let responseHeaders: [(name: String, value: String)]
    private let settled = Atomic<Bool>(false)

    /// Tests that settle twice on purpose turn the debug assertion off.
    static let assertsOnDoubleSettle = Atomic<Bool>(true)

    init(ledger: LocalLedger, loop: EventLoop?, rates: [RateHold], holds: [BudgetHold], reserved: Micros, estimatedTokens: Int, responseHeaders: [(name: String, value: String)]) {
        self.ledger = ledger
        self.loop = loop
        self.rates = rates
        self.holds = holds
        self.reserved = reserved
        self.estimatedTokens = estimatedTokens
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

    var estimate: (cost: Micros, tokens: Int) { (reserved, estimatedTokens) }

    var isSettled: Bool { settled.load(ordering: .acquiring) }
}
