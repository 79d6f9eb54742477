import Foundation

/// Items that ran out of attempts, with the stage, the reason and where they came from,
/// until an operator re-drives or purges them.
public struct DeadLetters {
    let db: any StoreConnection

    public struct Letter: Sendable {
        public var id: Int64
        public var stage: String
        public var flow: String?
        public var bundle: String?
        public var subject: String
        public var reason: String
        public var position: String?
        public var attempts: Int
        public var at: String
    }

    public func add(stage: String, flow: String?, bundle: String?, inboxID: Int64?, subject: String, reason: String,
        position: String?, attempts: Int
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO dead_letters(stage, flow, bundle_id, inbox_id, subject, reason, position, attempts, at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [stage, flow, bundle, inboxID, subject, reason, position, attempts, Clock.now])
    }

    /// Dead letters not yet re-driven, oldest first.
    public func list() throws -> [Letter] {
        try db.rows(sql: "SELECT * FROM dead_letters WHERE redriven_at IS NULL ORDER BY id").map { row in
            Letter(id: row["id"], stage: row["stage"], flow: row["flow"], bundle: row["bundle_id"], subject: row["subject"],
                reason: row["reason"], position: row["position"], attempts: row["attempts"], at: row["at"])
        }
    }

    /// Puts dead records back in line with fresh attempts and returns the letters re-driven;
    /// `id` nil means all. A ship-stage letter's bundle is the caller's to move back
    /// (`BundleLedger.redriven`), as the outbound lifecycle says.
    public func redrive(id: Int64?) throws -> [Letter] {
        let letters = try list().filter { id == nil || $0.id == id }
        for letter in letters {
            try db.execute(
                sql: "UPDATE inbox SET state = 'pending', attempts = 0, next_attempt_at = NULL WHERE id = (SELECT inbox_id FROM dead_letters WHERE id = ?)",
                arguments: [letter.id])
            try db.execute(sql: "UPDATE dead_letters SET redriven_at = ? WHERE id = ?", arguments: [Clock.now, letter.id])
        }
        return letters
    }

    /// Gives up on dead letters for good: their records are settled as rejected, and the
    /// receipt the sender is waiting for can go. A dead outbound bundle stays dead (its
    /// sequence stays missing on the far side, which says so).
    public func purge(id: Int64?) throws -> Int {
        let letters = try list().filter { id == nil || $0.id == id }
        for letter in letters {
            try db.execute(
                sql: "UPDATE inbox SET state = 'rejected', detail = ? WHERE id = (SELECT inbox_id FROM dead_letters WHERE id = ?)",
                arguments: ["dead letter purged by an operator: \(letter.reason)", letter.id])
            try db.execute(sql: "UPDATE dead_letters SET redriven_at = 'purged ' || ? WHERE id = ?", arguments: [Clock.now, letter.id])
        }
        return letters.count
    }
}
