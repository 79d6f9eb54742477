import Foundation
import Testing
import FerryConsole

/// The upload endpoint's limits as values told the time: no sockets, no clock.
@Suite struct UploadLimitTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func policy(burst: Int, perMinute: Double, maxClients: Int = 4096) -> UploadRateLimiter.Policy {
        var policy = UploadRateLimiter.Policy()
        (policy.burst, policy.perMinute, policy.maxClients) = (burst, perMinute, maxClients)
        return policy
    }

    @Test func aBurstIsAdmittedThenTheClientWaitsForTheRefill() {
        var limiter = UploadRateLimiter(policy: policy(burst: 3, perMinute: 6))
        for _ in 0..<3 { #expect(limiter.admit("10.0.0.1", now: start) == .admit) }
        // One token comes back every 10 seconds.
        #expect(limiter.admit("10.0.0.1", now: start) == .retryAfter(seconds: 10))
        #expect(limiter.admit("10.0.0.1", now: start.addingTimeInterval(4)) == .retryAfter(seconds: 6))
        #expect(limiter.admit("10.0.0.1", now: start.addingTimeInterval(10)) == .admit)
        #expect(limiter.admit("10.0.0.1", now: start.addingTimeInterval(10)) == .retryAfter(seconds: 10))
        // Another address has its own bucket.
        #expect(limiter.admit("10.0.0.2", now: start) == .admit)
        // A long pause refills to the burst, never beyond it.
        let later = start.addingTimeInterval(3600)
        for _ in 0..<3 { #expect(limiter.admit("10.0.0.1", now: later) == .admit) }
        #expect(limiter.admit("10.0.0.1", now: later) != .admit)
    }

    @Test func aClockThatStepsBackRefillsNothing() {
        var limiter = UploadRateLimiter(policy: policy(burst: 1, perMinute: 60))
        #expect(limiter.admit("c", now: start) == .admit)
        #expect(limiter.admit("c", now: start.addingTimeInterval(-3600)) == .retryAfter(seconds: 1))
    }

    @Test func manyAddressesShareOneBucketOnceTheTableIsFull() {
        var limiter = UploadRateLimiter(policy: policy(burst: 1, perMinute: 1, maxClients: 4))
        for client in 0..<4 { #expect(limiter.admit("10.0.0.\(client)", now: start) == .admit) }
        // The table is full of spent buckets: the fifth and sixth addresses share the overflow.
        #expect(limiter.admit("10.0.1.1", now: start) == .admit)
        #expect(limiter.admit("10.0.1.2", now: start) == .retryAfter(seconds: 60))
        // Once a bucket is full again it is forgotten, and a new address gets its own.
        #expect(limiter.admit("10.0.2.1", now: start.addingTimeInterval(61)) == .admit)
    }

    @Test func aFloodOfRefusalsWritesOneAuditEntryPerWindow() {
        var refusals = HTTPRefusals(window: 60)
        func refusal(_ reason: String, _ client: String) -> HTTPRefusal {
            HTTPRefusal(reason: reason, status: 400, client: client)
        }
        let first = refusals.note(refusal("bad-name", "10.0.0.1"), now: start)
        #expect(first?.refusal.reason == "bad-name" && first?.heldBack.isEmpty == true)
        var written = 0
        for second in 1..<600 {
            // Ten refusals a second from 20 addresses, for ten minutes.
            for n in 0..<10 where refusals.note(refusal(n % 2 == 0 ? "rate" : "bad-signature", "10.0.0.\(n + second % 2 * 10)"),
                now: start.addingTimeInterval(Double(second) + Double(n) / 10)) != nil {
                written += 1
            }
        }
        #expect(written == 9, "one entry per 60-second window")
        let next = refusals.note(refusal("too-large", "10.0.9.9"), now: start.addingTimeInterval(700))
        let held = next?.heldBack ?? [:]
        #expect(held.values.reduce(0, +) > 0 && Set(held.keys) == ["rate", "bad-signature"], "\(held)")
        #expect(next?.heldBackClients.count == 16 && next?.moreClients == true)
    }
}
