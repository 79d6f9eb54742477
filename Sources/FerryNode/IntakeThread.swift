import Foundation

/// A node's intake running on a thread of its own while the caller applies what it stages:
/// the two halves of `Node.receive` overlap, so a receiving node keeps two cores busy
/// instead of one. Staging and applying already hand over through the store (a bundle's
/// records are staged in one transaction; applying reads what is committed), which is what
/// lets two workers of one node split them; this does the same inside one process.
///
/// Every way out of `receive` waits for the thread (`result()`), so intake never runs on
/// after the call returns.
final class IntakeThread<T: Sendable>: @unchecked Sendable {
    // @unchecked: `outcome`, `stopping` and `staged` change only while `condition` is locked.
    private let condition = NSCondition()
    private var outcome: Result<T, any Error>?
    private var stopping = false
    private var staged = 0

    /// Starts `body` at once. It is given this object, to say when it staged something
    /// (`staged()`) and to ask between bundles whether it should stop (`shouldStop`).
    init(_ body: @escaping @Sendable (IntakeThread<T>) throws -> T) {
        let thread = Thread { [self] in
            let result = Result { try body(self) }
            condition.withLock {
                outcome = result
                condition.broadcast()
            }
        }
        // Foundation's default on Linux is 512 KiB; opening a bundle parses nested values.
        thread.stackSize = 8 << 20
        thread.name = "ferry.receive.intake"
        thread.start()
    }

    /// Whether intake has ended, with or without an error.
    var isFinished: Bool { condition.withLock { outcome != nil } }

    /// Whether the caller gave up (its own half failed): intake stops after its bundle.
    var shouldStop: Bool { condition.withLock { stopping } }

    /// Called by intake after each committed bundle: wakes a caller waiting for work.
    func noteStaged() {
        condition.withLock {
            staged += 1
            condition.broadcast()
        }
    }

    /// How many bundles intake has staged so far: read it before looking for work, and
    /// pass it to `waitForMore(than:seconds:)`, so a bundle staged in between is not missed.
    var stagedCount: Int { condition.withLock { staged } }

    /// Waits until intake has staged more than `seen` bundles, or has ended; at most `seconds`.
    func waitForMore(than seen: Int, seconds: TimeInterval) {
        condition.withLock {
            let deadline = Date().addingTimeInterval(seconds)
            while staged == seen, outcome == nil, condition.wait(until: deadline) {}
        }
    }

    /// Asks intake to stop after the bundle in hand.
    func stop() { condition.withLock { stopping = true } }

    /// Waits for intake to end and returns what it returned, or throws what it threw.
    func result() throws -> T {
        try condition.withLock {
            while outcome == nil { condition.wait() }
            return outcome!
        }.get()
    }
}
