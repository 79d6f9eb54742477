import Foundation
import FerryNode

/// Runs a node's receive over and over on a thread of its own while the sending node syncs,
/// as the far side of a real gap would: bundles are opened and applied while the sender is
/// still reading, and the two nodes keep both cores busy.
final class ConcurrentReceiver: @unchecked Sendable {
    // @unchecked Sendable: every field below is read and written under `lock`.
    private let lock = NSCondition()
    private var stopping = false
    private var finished = false
    private var total = ReceiveReport()
    private var failure: (any Error)?
    private let node: Node

    /// Starts receiving on `node` at once.
    init(_ node: Node) {
        self.node = node
        let thread = Thread { [self] in loop() }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func loop() {
        while !lock.withLock({ stopping }) {
            do {
                let report = try node.receive()
                lock.withLock { total.absorb(report) }
                // Nothing arrived: look again shortly rather than spin.
                if report.bundlesAccepted == 0 { Thread.sleep(forTimeInterval: 0.05) }
            } catch {
                lock.withLock { failure = error; stopping = true }
            }
        }
        lock.withLock { finished = true; lock.broadcast() }
    }

    /// Stops after the receive in flight, then takes in whatever is left once more.
    /// - Returns: everything received, with the last run's gaps and rejections.
    func finish() throws -> ReceiveReport {
        lock.withLock { stopping = true }
        lock.lock()
        while !finished { lock.wait() }
        let failure = self.failure
        var total = self.total
        lock.unlock()
        if let failure { throw failure }
        total.absorb(try node.receive())
        return total
    }
}
