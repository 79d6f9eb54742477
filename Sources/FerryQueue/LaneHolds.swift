import Foundation

/// Lanes held because their transfer area refused a bundle. A held lane is tried again on
/// a backoff, so a missing mount costs one audit entry when it starts and one when it
/// ends, not one per poll.
public struct LaneHolds {
    let db: any StoreConnection

    public struct Hold: Sendable {
        public var lane: String
        public var attempts: Int
        public var since: String
        public var nextAttemptAt: String
        public var reason: String
    }

    public func hold(lane: String) throws -> Hold? {
        try db.row(sql: "SELECT * FROM lane_holds WHERE lane = ?", arguments: [lane]).map {
            Hold(lane: $0["lane"], attempts: $0["attempts"], since: $0["since"], nextAttemptAt: $0["next_attempt_at"], reason: $0["reason"])
        }
    }

    /// Records one more refusal; returns the hold as it now stands.
    @discardableResult
    public func refused(lane: String, reason: String, now: String, next: String) throws -> Hold {
        try db.execute(
            sql: """
                INSERT INTO lane_holds(lane, attempts, since, next_attempt_at, reason) VALUES (?, 1, ?, ?, ?)
                ON CONFLICT(lane) DO UPDATE SET attempts = lane_holds.attempts + 1, next_attempt_at = excluded.next_attempt_at, reason = excluded.reason
                """,
            arguments: [lane, now, next, reason])
        return try hold(lane: lane) ?? Hold(lane: lane, attempts: 1, since: now, nextAttemptAt: next, reason: reason)
    }

    /// Clears a hold; returns it if there was one.
    @discardableResult
    public func released(lane: String) throws -> Hold? {
        let current = try hold(lane: lane)
        if current != nil { try db.execute(sql: "DELETE FROM lane_holds WHERE lane = ?", arguments: [lane]) }
        return current
    }
}
