import Foundation
import Testing
import FerryCore
@testable import FerryNode

/// The hand-over between `receive`'s intake thread and its applying caller: what intake
/// returns or throws reaches the caller, a caller that gives up stops intake between
/// bundles, and a waiting caller wakes when a bundle is staged, not at its time-out.
@Suite struct IntakeThreadTests {
    @Test func theCallerGetsWhatIntakeReturnedOrThrew() throws {
        let done = try IntakeThread<Int>.start { thread in
            thread.noteStaged()
            return 42
        }
        #expect(try done.result() == 42)
        #expect(done.isFinished)

        let failed = try IntakeThread<Int>.start { _ in throw FerryError(.store, "the store is out of disk space") }
        #expect(throws: FerryError.self) { try failed.result() }
        #expect(failed.isFinished)
    }

    /// What intake captured (in `receive`, the node and its store) is gone once `result()`
    /// returns: never released later on a thread nobody waits for.
    @Test func whatIntakeCapturedIsReleasedBeforeResultReturns() throws {
        final class Captured: Sendable {}
        weak var watched: Captured?
        let intake: IntakeThread<Int>
        do {
            let captured = Captured()
            watched = captured
            intake = try IntakeThread<Int>.start { _ in
                withExtendedLifetime(captured) { Thread.sleep(forTimeInterval: 0.05) }
                return 1
            }
        }
        #expect(try intake.result() == 1)
        #expect(watched == nil, "the intake body still holds what it captured after result() returned")
    }

    @Test func aCallerThatGivesUpStopsIntakeBetweenBundles() throws {
        let started = DispatchSemaphore(value: 0)
        let intake = try IntakeThread<Int>.start { thread in
            var bundles = 0
            started.signal()
            while !thread.shouldStop {
                bundles += 1
                thread.noteStaged()
                Thread.sleep(forTimeInterval: 0.001)
            }
            return bundles
        }
        started.wait()
        intake.waitForMore(than: 0, seconds: 30)
        intake.stop()
        // Without stop() this loop never ends and the test hangs: result() waits for it.
        #expect(try intake.result() >= 1)
    }

    @Test func aWaitingCallerWakesWhenABundleIsStaged() throws {
        let release = DispatchSemaphore(value: 0)
        let intake = try IntakeThread<Int>.start { thread in
            release.wait()
            thread.noteStaged()
            release.wait()
            return 1
        }
        let start = Date()
        #expect(intake.stagedCount == 0)
        release.signal()
        intake.waitForMore(than: 0, seconds: 60)
        // A missed wake-up would sit out the whole minute.
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(!intake.isFinished)
        #expect(intake.stagedCount == 1)
        release.signal()
        intake.waitForMore(than: 1, seconds: 60)
        #expect(Date().timeIntervalSince(start) < 30, "the end of intake did not wake the caller either")
        #expect(try intake.result() == 1)
    }
}
