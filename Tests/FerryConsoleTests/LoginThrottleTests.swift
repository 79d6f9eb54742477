import Foundation
import Testing
@testable import FerryConsole

/// Password guessing, as values with a test clock: what a guesser gets, and what the real
/// user gets afterwards.
@Suite struct LoginThrottleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// One attempt that fails; the lockouts it caused.
    func fail(_ throttle: inout LoginThrottle, user: String = "anna", address: String = "10.0.0.9", at offset: TimeInterval) -> [LoginThrottle.Lockout]? {
        let now = start.addingTimeInterval(offset)
        guard throttle.begin(user: user, address: address, now: now) == nil else { return nil }
        return throttle.end(user: user, address: address, succeeded: false, now: now)
    }

    @Test func fiveWrongPasswordsLockTheUserAndTheRightOneWaits() {
        var throttle = LoginThrottle()
        for attempt in 0..<4 { #expect(fail(&throttle, at: Double(attempt)) == []) }
        let locked = fail(&throttle, at: 4)
        #expect(locked?.map(\.key) == ["user:anna", "address:10.0.0.9"])
        #expect(locked?.first?.until == start.addingTimeInterval(34))
        // The right password straight after is refused, from another address too.
        #expect(throttle.begin(user: "anna", address: "10.0.0.10", now: start.addingTimeInterval(5)) == start.addingTimeInterval(34))
        // After the lock it may be tried again, and a success clears the user's count.
        #expect(throttle.begin(user: "anna", address: "10.0.0.10", now: start.addingTimeInterval(35)) == nil)
        #expect(throttle.end(user: "anna", address: "10.0.0.10", succeeded: true, now: start.addingTimeInterval(35)) == [])
        #expect(throttle.begin(user: "anna", address: "10.0.0.11", now: start.addingTimeInterval(36)) == nil)
    }

    @Test func locksDoubleUpToTheLimitAndCountWhatTheyRefused() {
        var throttle = LoginThrottle()
        var now: TimeInterval = 0
        var locks: [TimeInterval] = []
        for _ in 0..<12 {
            guard let lockouts = fail(&throttle, at: now) else { Issue.record("refused while not locked"); return }
            if let until = lockouts.first(where: { $0.key == "user:anna" })?.until {
                locks.append(until.timeIntervalSince(start) - now)
                #expect(fail(&throttle, at: now + 1) == nil, "an attempt during the lock was let through")
                now = until.timeIntervalSince(start)
            }
            now += 1
        }
        #expect(locks == [30, 60, 120, 240, 480, 900, 900, 900])
        let next = fail(&throttle, at: now)?.first
        #expect(next?.refusedWhileLocked == 1, "each lock's refused attempt is reported with the next lockout")
    }

    /// Thirty guesses sent at once: those beyond the free ones are refused before any
    /// password is checked, not after all of them failed.
    @Test func parallelGuessesGetNoMoreTriesThanSequentialOnes() {
        var throttle = LoginThrottle()
        let now = start
        let admitted = (0..<30).filter { index in throttle.begin(user: "anna", address: "10.0.0.\(index)", now: now) == nil }
        #expect(admitted.count == 5)
        for index in admitted { _ = throttle.end(user: "anna", address: "10.0.0.\(index)", succeeded: false, now: now) }
        #expect(throttle.begin(user: "anna", address: "10.0.0.99", now: now.addingTimeInterval(1)) != nil)
    }

    @Test func oneAddressGuessingManyNamesIsLockedToo() {
        var throttle = LoginThrottle()
        for index in 0..<5 { _ = fail(&throttle, user: "user\(index)", at: Double(index)) }
        #expect(throttle.begin(user: "otto", address: "10.0.0.9", now: start.addingTimeInterval(6)) != nil)
        #expect(throttle.begin(user: "otto", address: "10.0.0.8", now: start.addingTimeInterval(6)) == nil)
    }

    @Test func failuresAreForgottenAfterAnHourAndMemoryIsBounded() {
        var policy = LoginThrottle.Policy()
        policy.capacity = 100
        var throttle = LoginThrottle(policy: policy)
        for attempt in 0..<4 { _ = fail(&throttle, at: Double(attempt)) }
        #expect(fail(&throttle, at: 3700) == [], "an hour later the count starts again")
        for index in 0..<1000 { _ = fail(&throttle, user: "random\(index)", address: "10.1.\(index / 250).\(index % 250)", at: 4000) }
        #expect(throttle.entries.count <= 200)
    }
}
