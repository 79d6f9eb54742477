public import Foundation

/// How failed steps are retried: capped exponential backoff with jitter, then a dead letter.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts before the item goes to dead letters.
    public var attempts = 8
    public var base: TimeInterval = 5
    public var cap: TimeInterval = 900

    public init() {}

    /// The wait after failed attempt `attempt` (1-based): base·2^(attempt−1), capped, ±20%
    /// jitter so that many items failing together do not retry in lockstep.
    public func delay(after attempt: Int, jitter: Double = Double.random(in: -0.2...0.2)) -> TimeInterval {
        let exponential = base * pow(2, Double(max(0, attempt - 1)))
        return min(cap, exponential) * (1 + jitter)
    }
}
