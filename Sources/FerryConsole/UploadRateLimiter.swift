public import Foundation

/// A token bucket per client address for the bundle upload endpoint: `burst` uploads at
/// once, refilled at `perMinute`. A value type that is told the time, so it is tested
/// without sockets or clocks; the route keeps one behind an actor.
///
/// The table of clients is bounded (`maxClients`): full buckets are forgotten first (a
/// client with a full bucket is the same as an unknown one), and when every bucket is in
/// use, new addresses share one overflow bucket, so many addresses cannot grow memory.
public struct UploadRateLimiter: Sendable {
    public struct Policy: Sendable, Equatable {
        /// Uploads a client may make at once.
        public var burst = 30
        /// Uploads a client regains per minute.
        public var perMinute = 30.0
        /// Clients remembered at once; beyond this, new addresses share one bucket.
        public var maxClients = 4096

        public init() {}
    }

    public enum Decision: Sendable, Equatable {
        case admit
        /// Refused; the client may try again after this many whole seconds (≥ 1).
        case retryAfter(seconds: Int)
    }

    struct Bucket: Sendable {
        var tokens: Double
        var updated: Date
    }

    public let policy: Policy
    private(set) var buckets: [String: Bucket] = [:]
    static let overflow = "(overflow)"

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Takes one token of `client`'s bucket at `now`, or says how long until one is there.
    public mutating func admit(_ client: String, now: Date) -> Decision {
        let rate = max(policy.perMinute, 0.001) / 60
        let capacity = Double(max(policy.burst, 1))
        var key = client
        if buckets[key] == nil && buckets.count >= policy.maxClients {
            forgetFull(now: now, rate: rate, capacity: capacity)
            if buckets.count >= policy.maxClients { key = Self.overflow }
        }
        var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
        // A clock that steps back refills nothing rather than draining the bucket.
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
        bucket.updated = max(now, bucket.updated)
        defer { buckets[key] = bucket }
        // A hair below 1 counts as 1: refills are sums of floating-point steps.
        guard bucket.tokens >= 1 - 1e-9 else {
            let wait = ((1 - bucket.tokens) / rate).rounded(.up)
            return .retryAfter(seconds: Int(min(max(wait, 1), 86_400)))
        }
        bucket.tokens = max(0, bucket.tokens - 1)
        return .admit
    }

    private mutating func forgetFull(now: Date, rate: Double, capacity: Double) {
        buckets = buckets.filter { key, bucket in
            key == Self.overflow || bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * rate < capacity
        }
    }
}
