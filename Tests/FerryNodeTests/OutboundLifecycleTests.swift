import Foundation
import Testing
import FerryCore
import FerryQueue
@testable import FerryNode

/// The outbound bundle lifecycle as a value: every transition, the carousel, back-off and
/// dead letters, without a store, a file or a lane directory.
@Suite struct OutboundLifecycleTests {
    typealias State = BundleLedger.OutState

    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let stamp = Timestamp.format(now)

    static func bundle(_ state: State, kind: BundleKind = .records, copies: Int = 0, attempts: Int = 0, next: String? = nil) -> BundleLedger.Outbound {
        BundleLedger.Outbound(id: "b1", lane: "a→b", sequence: 7, kind: kind, state: state, copies: copies, shipAttempts: attempts, nextShipAt: next)
    }

    static func policy(oneWay: Bool, copies: Int = 3, attempts: Int = 4) -> OutboundLifecycle {
        var retry = RetryPolicy()
        (retry.attempts, retry.base, retry.cap) = (attempts, 5, 60)
        return OutboundLifecycle(oneWay: oneWay, carouselCopies: copies, retry: retry)
    }

    /// The whole transition table: which states each event may move a bundle from. Every
    /// other pair is a late or repeated event, which leaves the ledger as it is.
    @Test func everyEventMovesOnlyFromItsSourceStates() {
        let expected: [OutboundLifecycle.Event: Set<State>] = [
            .sealed: [.sealing], .dropped: [.sealed, .shipped], .refused: [.sealed, .shipped],
            .receipt: [.sealed, .shipped], .redriven: [.dead],
        ]
        for event in OutboundLifecycle.Event.allCases {
            for state in State.allCases {
                #expect(OutboundLifecycle.sources(of: event).contains(state) == expected[event]!.contains(state), "\(event) from \(state)")
            }
        }
        // Settled bundles are final: no event moves a delivered or broadcast bundle.
        for event in OutboundLifecycle.Event.allCases {
            #expect(!OutboundLifecycle.sources(of: event).contains(.delivered))
            #expect(!OutboundLifecycle.sources(of: event).contains(.broadcast))
        }
    }

    @Test func onlySealedOrCarouselBundlesAreDue() {
        let twoWay = Self.policy(oneWay: false)
        let oneWay = Self.policy(oneWay: true, copies: 3)
        #expect(twoWay.isDue(Self.bundle(.sealed), now: Self.stamp, laneHeld: false))
        #expect(!twoWay.isDue(Self.bundle(.sealed), now: Self.stamp, laneHeld: true), "a held lane waits as a whole")
        #expect(!twoWay.isDue(Self.bundle(.shipped, copies: 1), now: Self.stamp, laneHeld: false), "two-way: dropped once, then wait for the receipt")
        #expect(oneWay.isDue(Self.bundle(.shipped, copies: 2), now: Self.stamp, laneHeld: false), "the carousel owes a third copy")
        #expect(!oneWay.isDue(Self.bundle(.shipped, copies: 3), now: Self.stamp, laneHeld: false))
        #expect(oneWay.isDue(Self.bundle(.shipped, kind: .reconcile, copies: 1), now: Self.stamp, laneHeld: false), "one-way reconcile steps ride the carousel")
        #expect(oneWay.isDue(Self.bundle(.shipped, kind: .documents, copies: 2), now: Self.stamp, laneHeld: false), "so do documents bundles")
        #expect(oneWay.afterDrop(Self.bundle(.shipped, kind: .documents, copies: 2)) == .broadcast, "and end broadcast like records")
        #expect(oneWay.afterDrop(Self.bundle(.shipped, kind: .reconcile, copies: 2)) == .shipped)
        for state in [State.sealing, .delivered, .broadcast, .dead] {
            #expect(!oneWay.isDue(Self.bundle(state), now: Self.stamp, laneHeld: false), "\(state)")
            #expect(!twoWay.isDue(Self.bundle(state), now: Self.stamp, laneHeld: false), "\(state)")
        }
    }

    /// Waiting is decided before the lane is looked up: a bundle that waits never fails a
    /// run over a lane that has since been removed from the topology.
    @Test func waitingNeedsNoLanePolicy() {
        let later = Timestamp.format(Self.now.addingTimeInterval(60))
        #expect(OutboundLifecycle.isWaiting(Self.bundle(.sealed), now: Self.stamp, laneHeld: true))
        #expect(OutboundLifecycle.isWaiting(Self.bundle(.sealed, attempts: 2, next: later), now: Self.stamp, laneHeld: false))
        #expect(!OutboundLifecycle.isWaiting(Self.bundle(.sealed), now: Self.stamp, laneHeld: false))
    }

    @Test func aBundleBackingOffWaitsUntilItsNextTry() {
        let lifecycle = Self.policy(oneWay: false)
        let later = Timestamp.format(Self.now.addingTimeInterval(1))
        let earlier = Timestamp.format(Self.now.addingTimeInterval(-1))
        #expect(!lifecycle.isDue(Self.bundle(.sealed, attempts: 1, next: later), now: Self.stamp, laneHeld: false))
        #expect(lifecycle.isDue(Self.bundle(.sealed, attempts: 1, next: Self.stamp), now: Self.stamp, laneHeld: false))
        #expect(lifecycle.isDue(Self.bundle(.sealed, attempts: 1, next: earlier), now: Self.stamp, laneHeld: false))
    }

    @Test func dropsShipTwoWayBundlesAndBroadcastTheLastCarouselCopy() {
        let twoWay = Self.policy(oneWay: false)
        for kind in BundleKind.allCases {
            #expect(twoWay.afterDrop(Self.bundle(.sealed, kind: kind)) == .shipped, "\(kind)")
        }
        let oneWay = Self.policy(oneWay: true, copies: 3)
        #expect(oneWay.afterDrop(Self.bundle(.sealed, copies: 0)) == .shipped)
        #expect(oneWay.afterDrop(Self.bundle(.shipped, copies: 1)) == .shipped)
        #expect(oneWay.afterDrop(Self.bundle(.shipped, copies: 2)) == .broadcast)
        #expect(oneWay.afterDrop(Self.bundle(.shipped, kind: .reconcile, copies: 2)) == .shipped, "a run, not the carousel, settles a reconcile step")
        #expect(Self.policy(oneWay: true, copies: 1).afterDrop(Self.bundle(.sealed)) == .broadcast, "one copy asked: the first drop is the last")
    }

    /// A one-way bundle driven through a run of the pack loop, with the ledger's guard.
    @Test func aOneWayBundleRidesTheCarouselThenStops() {
        let lifecycle = Self.policy(oneWay: true, copies: 3)
        var bundle = Self.bundle(.sealed)
        var drops = 0
        while lifecycle.isDue(bundle, now: Self.stamp, laneHeld: false), drops < 10 {
            #expect(OutboundLifecycle.sources(of: .dropped).contains(bundle.state))
            (bundle.state, bundle.copies) = (lifecycle.afterDrop(bundle), bundle.copies + 1)
            drops += 1
        }
        #expect(drops == 3 && bundle.state == .broadcast)
        #expect(!OutboundLifecycle.sources(of: .receipt).contains(bundle.state), "no receipt settles a broadcast bundle")
    }

    @Test func refusalsBackOffThenDeadLetter() {
        let lifecycle = Self.policy(oneWay: false, attempts: 4)
        // 5 s, 10 s, 20 s without jitter; whole seconds, rounded up.
        #expect(lifecycle.afterRefusal(Self.bundle(.sealed, attempts: 0), now: Self.now, jitter: 0) == .retry(attempt: 1, next: Self.now.addingTimeInterval(5)))
        #expect(lifecycle.afterRefusal(Self.bundle(.sealed, attempts: 1), now: Self.now, jitter: 0) == .retry(attempt: 2, next: Self.now.addingTimeInterval(10)))
        #expect(lifecycle.afterRefusal(Self.bundle(.shipped, attempts: 2), now: Self.now, jitter: 0) == .retry(attempt: 3, next: Self.now.addingTimeInterval(20)))
        #expect(lifecycle.afterRefusal(Self.bundle(.sealed, attempts: 3), now: Self.now, jitter: 0) == .dead(attempts: 4))
        // Jitter never brings a retry forward of now, and the delay is capped.
        let capped = lifecycle.afterRefusal(Self.bundle(.sealed, attempts: 2), now: Self.now.addingTimeInterval(0.3), jitter: 0.2)
        #expect(capped == .retry(attempt: 3, next: Self.now.addingTimeInterval(25)), "20 s × 1.2 from .3 s, rounded up to the second")
        var cap = Self.policy(oneWay: false, attempts: 20)
        cap.retry.cap = 60
        #expect(cap.afterRefusal(Self.bundle(.sealed, attempts: 12), now: Self.now, jitter: 0) == .retry(attempt: 13, next: Self.now.addingTimeInterval(60)))
    }

    @Test func aHeldLaneRetriesOnTheSameBackOff() {
        let lifecycle = Self.policy(oneWay: false)
        #expect(lifecycle.laneRetry(after: 1, now: Self.now, jitter: 0) == Self.now.addingTimeInterval(5))
        #expect(lifecycle.laneRetry(after: 3, now: Self.now, jitter: 0) == Self.now.addingTimeInterval(20))
        #expect(lifecycle.laneRetry(after: 30, now: Self.now, jitter: 0) == Self.now.addingTimeInterval(60))
    }

    /// A re-driven dead bundle is sealed with fresh attempts and due at once.
    @Test func aRedrivenBundleIsDueAgain() {
        let lifecycle = Self.policy(oneWay: false)
        var bundle = Self.bundle(.dead, attempts: 4, next: Timestamp.format(Self.now.addingTimeInterval(3600)))
        #expect(!lifecycle.isDue(bundle, now: Self.stamp, laneHeld: false))
        #expect(OutboundLifecycle.sources(of: .redriven).contains(bundle.state))
        (bundle.state, bundle.shipAttempts, bundle.nextShipAt) = (.sealed, 0, nil)
        #expect(lifecycle.isDue(bundle, now: Self.stamp, laneHeld: false))
    }
}
