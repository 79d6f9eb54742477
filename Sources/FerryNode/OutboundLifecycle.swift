import Foundation
import FerryCore
package import FerryQueue

/// The life of one outbound bundle, decided without I/O: the ledger keeps the state, this
/// value says what the next one is, and `Node.pack` and `settleReceipt` do the writing.
///
/// ```
/// sealing ─sealed─► sealed ─dropped─► shipped ─receipt─► delivered
///                    │  ▲                │ ⟲ dropped again (one-way: until carouselCopies)
///                    │  │                └─ dropped, last copy (one-way records) ─► broadcast
///           refused: │  │ redriven
///   back off, or at  ▼  │
///   the last attempt dead ◄─ refused at the last attempt (from shipped too)
/// ```
///
/// A lane whose transfer area is unreachable is held as a whole (`LaneHolds`); its bundles
/// keep their state and wait. Receipts only come back on two-way lanes; a one-way bundle
/// ends `broadcast` once the carousel has dropped it `carouselCopies` times.
package struct OutboundLifecycle: Sendable {
    /// What can happen to a bundle.
    package enum Event: Sendable, Hashable, CaseIterable {
        /// Its file was written and signed.
        case sealed
        /// One copy reached the lane's transfer area (or the far side's endpoint).
        case dropped
        /// The far side or its transfer area refused this bundle (not the lane).
        case refused
        /// A receipt came back for it.
        case receipt
        /// An operator re-drove it from dead letters.
        case redriven
    }

    /// The lane's policy, as the topology gives it.
    var oneWay: Bool
    var carouselCopies: Int
    var retry: RetryPolicy

    init(lane: Lane, retry: RetryPolicy) {
        (oneWay, carouselCopies, self.retry) = (!lane.hasReturn, lane.policy.carouselCopies, retry)
    }

    init(oneWay: Bool, carouselCopies: Int, retry: RetryPolicy) {
        (self.oneWay, self.carouselCopies, self.retry) = (oneWay, carouselCopies, retry)
    }

    /// The states `event` may move a bundle from: the ledger's write is guarded by them, so
    /// a late or repeated event (a second receipt, a drop racing a receipt) changes nothing.
    package static func sources(of event: Event) -> Set<BundleLedger.OutState> {
        switch event {
        case .sealed: [.sealing]
        case .dropped: [.sealed, .shipped]
        case .refused: [.sealed, .shipped]
        case .receipt: [.sealed, .shipped]
        case .redriven: [.dead]
        }
    }

    /// Whether `bundle` is to be dropped this run: sealed and not backing off, or a one-way
    /// bundle the carousel still owes copies. Held lanes wait as a whole.
    func isDue(_ bundle: BundleLedger.Outbound, now: String, laneHeld: Bool) -> Bool {
        guard !Self.isWaiting(bundle, now: now, laneHeld: laneHeld) else { return false }
        switch bundle.state {
        case .sealed: return true
        case .shipped: return owesCopies(bundle)
        case .sealing, .delivered, .broadcast, .dead: return false
        }
    }

    /// Whether `bundle` waits this run whatever its lane's policy: its lane is held, or it is
    /// backing off. Decided before the lane is looked up, so a bundle that waits never fails
    /// a run over a lane that has since changed.
    static func isWaiting(_ bundle: BundleLedger.Outbound, now: String, laneHeld: Bool) -> Bool {
        if laneHeld { return true }
        if let next = bundle.nextShipAt, next > now { return true }
        return false
    }

    /// The state after one more copy of `bundle` is dropped: a one-way records bundle is
    /// `broadcast` with its last carousel copy; every other bundle is `shipped`. Two-way
    /// bundles are dropped once and wait for their receipt; a one-way reconcile step rides
    /// the carousel too but stays `shipped`, as its run (not a receipt) settles it.
    func afterDrop(_ bundle: BundleLedger.Outbound) -> BundleLedger.OutState {
        oneWay && (bundle.kind == .records || bundle.kind == .documents) && bundle.copies + 1 >= carouselCopies ? .broadcast : .shipped
    }

    /// What a refused attempt leads to.
    enum Refusal: Sendable, Equatable {
        /// Tried again at `next` (UTC), this being failed attempt `attempt`.
        case retry(attempt: Int, next: Date)
        /// Out of attempts: the bundle is dead and goes to dead letters.
        case dead(attempts: Int)
    }

    /// After a refusal of `bundle` at `now`: back off (`RetryPolicy.delay`, whole seconds
    /// rounded up) or, at `retry.attempts` failures, give up.
    func afterRefusal(_ bundle: BundleLedger.Outbound, now: Date, jitter: Double = Double.random(in: -0.2...0.2)) -> Refusal {
        let attempts = bundle.shipAttempts + 1
        guard attempts < retry.attempts else { return .dead(attempts: attempts) }
        return .retry(attempt: attempts, next: Timestamp.wholeSeconds(after: retry.delay(after: attempts, jitter: jitter), from: now))
    }

    /// When a held lane is tried again, after its `attempt`-th failure (1-based).
    func laneRetry(after attempt: Int, now: Date, jitter: Double = Double.random(in: -0.2...0.2)) -> Date {
        Timestamp.wholeSeconds(after: retry.delay(after: attempt, jitter: jitter), from: now)
    }

    private func owesCopies(_ bundle: BundleLedger.Outbound) -> Bool {
        oneWay && bundle.copies < carouselCopies
    }
}
