import Foundation

/// Spaces requests to one system evenly, at most `perSecond`, across every adapter
/// instance and thread in the process: flows that share a system share its limit.
final class RateGate: @unchecked Sendable {
    // @unchecked: `next` is only touched under `lock`.
    private let interval: TimeInterval
    private var next = Date.distantPast
    private let lock = NSLock()

    private init(perSecond: Double) { interval = 1 / perSecond }

    private nonisolated(unsafe) static var gates: [String: RateGate] = [:]
    private static let gatesLock = NSLock()

    static func shared(for key: String, perSecond: Double) -> RateGate {
        gatesLock.withLock {
            if let gate = gates[key], gate.interval == 1 / perSecond { return gate }
            let gate = RateGate(perSecond: perSecond)
            gates[key] = gate
            return gate
        }
    }

    /// Blocks until this caller's turn.
    func wait() {
        let turn: Date = lock.withLock {
            let turn = max(Date(), next)
            next = turn.addingTimeInterval(interval)
            return turn
        }
        let delay = turn.timeIntervalSinceNow
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
    }
}
