import Foundation
public import FerryCore

/// What an operator needs to see of a node's queue: depths, ages, gaps.
public struct QueueStatus: Sendable {
    public struct Outbound: Sendable {
        public var lane: String
        public var pending: Int
        public var oldestPending: String?
        /// Bundles sealed or shipped whose receipt has not come back.
        public var undelivered: Int
        public var oldestUndelivered: String?
        public var delivered: Int
        public var nextSequence: Int64
    }

    public struct Inbound: Sendable {
        public var lane: String
        /// Every sequence up to here has arrived.
        public var watermark: Int64
        public var highest: Int64
        /// Sequences below `highest` that have not arrived.
        public var missing: [Int64]
        /// When the first bundle after the first gap arrived: how long the gap has been known.
        public var missingSince: String?
    }

    public var outbound: [Outbound] = []
    public var inbound: [Inbound] = []
    public var inboxPending = 0
    /// Pending records waiting out a backoff after a failed attempt.
    public var retrying = 0
    public var deadLetters = 0
    public var quarantined = 0
    public var cursors: [(flow: String, value: String, updatedAt: String)] = []
    /// Lanes whose transfer area refused bundles, waiting out a backoff.
    public var holds: [LaneHolds.Hold] = []
    /// Jobs a worker of the node holds now, and until when.
    public var claims: [WorkLeases.Lease] = []

    /// Reads the status in one snapshot.
    static func read(_ db: any StoreConnection) throws -> QueueStatus {
        var status = QueueStatus()
        let pending = try db.rows(sql: "SELECT lane, count(*) AS n, min(enqueued_at) AS oldest FROM outbox WHERE bundle_id IS NULL GROUP BY lane")
        let bundles = try db.rows(sql: """
            SELECT lane,
                   sum(CASE WHEN state IN ('sealing', 'sealed', 'shipped') THEN 1 ELSE 0 END) AS undelivered,
                   min(CASE WHEN state IN ('sealing', 'sealed', 'shipped') THEN created_at END) AS oldest,
                   sum(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END) AS delivered
            FROM bundles_out WHERE kind = 'records' GROUP BY lane
            """)
        let sequences = try db.rows(sql: "SELECT lane, next_sequence FROM lanes")
        var lanes = Set(pending.map { $0["lane"] as String }).union(bundles.map { $0["lane"] as String })
        lanes.formUnion(sequences.map { $0["lane"] as String })
        // Same-zone delivery numbers its pseudo-bundles on a lane "zone→zone"; it is not a channel.
        for lane in lanes.sorted() where LaneID(lane).map({ !$0.isLocal }) ?? false {
            let p = pending.first { $0["lane"] == lane }
            let b = bundles.first { $0["lane"] == lane }
            status.outbound.append(Outbound(
                lane: lane, pending: p?["n"] ?? 0, oldestPending: p?["oldest"], undelivered: b?["undelivered"] ?? 0,
                oldestUndelivered: b?["oldest"], delivered: b?["delivered"] ?? 0,
                nextSequence: sequences.first { $0["lane"] == lane }?["next_sequence"] ?? 1))
        }
        for lane in try db.values(String.self, sql: "SELECT DISTINCT lane FROM bundles_in WHERE kind != 'local' ORDER BY lane") {
            let watermark = try BundleLedger(db: db).watermark(lane: lane)
            let above = try db.rows(sql: "SELECT sequence, received_at FROM bundles_in WHERE lane = ? AND sequence > ? ORDER BY sequence", arguments: [lane, watermark])
            let present = Set(above.map { $0["sequence"] as Int64 })
            let highest: Int64 = above.last.map { $0["sequence"] } ?? watermark
            let missing = highest > watermark ? (watermark + 1..<highest).filter { !present.contains($0) } : []
            status.inbound.append(Inbound(
                lane: lane, watermark: watermark, highest: highest, missing: missing,
                missingSince: missing.isEmpty ? nil : above.first?["received_at"]))
        }
        status.inboxPending = try db.value(Int.self, sql: "SELECT count(*) FROM inbox WHERE state = 'pending'") ?? 0
        status.retrying = try db.value(Int.self, sql: "SELECT count(*) FROM inbox WHERE state = 'pending' AND attempts > 0") ?? 0
        status.deadLetters = try db.value(Int.self, sql: "SELECT count(*) FROM dead_letters WHERE redriven_at IS NULL") ?? 0
        status.quarantined = try Quarantine(db: db).count()
        status.holds = try db.rows(sql: "SELECT * FROM lane_holds ORDER BY lane").map {
            LaneHolds.Hold(lane: $0["lane"], attempts: $0["attempts"], since: $0["since"], nextAttemptAt: $0["next_attempt_at"], reason: $0["reason"])
        }
        status.claims = try WorkLeases(db: db).held(now: Clock.now)
        status.cursors = try db.rows(sql: "SELECT flow, value, updated_at FROM cursors ORDER BY flow")
            .map { ($0["flow"], $0["value"], $0["updated_at"]) }
        return status
    }

    /// The operator's one-line warnings: "channel extranet→jinhong: bundle 1041 missing since 10:02".
    public var warnings: [String] { gaps + holds.map { "channel \($0.lane): held since \($0.since) (\($0.reason)); next try \($0.nextAttemptAt)" } }

    /// Missing inbound sequences only.
    public var gaps: [String] {
        inbound.flatMap { lane in
            lane.missing.prefix(10).map { "channel \(lane.lane): bundle \($0) missing since \(lane.missingSince ?? "?")" }
        }
    }
}

extension QueueStatus {
    /// The status as JSON-ready values, for `--json` and monitoring scripts.
    public var value: Value {
        func text(_ s: String?) -> Value { s.map(Value.string) ?? .null }
        return .object([
            "outbound": .list(outbound.map {
                .object([
                    "lane": .string($0.lane), "pending": .int(Int64($0.pending)), "oldest_pending": text($0.oldestPending),
                    "undelivered": .int(Int64($0.undelivered)), "oldest_undelivered": text($0.oldestUndelivered),
                    "delivered": .int(Int64($0.delivered)), "next_sequence": .int($0.nextSequence),
                ])
            }),
            "inbound": .list(inbound.map {
                .object([
                    "lane": .string($0.lane), "watermark": .int($0.watermark), "highest": .int($0.highest),
                    "missing": .list($0.missing.map(Value.int)), "missing_since": text($0.missingSince),
                ])
            }),
            "inbox_pending": .int(Int64(inboxPending)),
            "retrying": .int(Int64(retrying)),
            "dead_letters": .int(Int64(deadLetters)),
            "quarantined": .int(Int64(quarantined)),
            "cursors": .list(cursors.map { .object(["flow": .string($0.flow), "value": .string($0.value), "updated_at": .string($0.updatedAt)]) }),
            "claims": .list(claims.map { .object(["job": .string($0.name), "worker": .string($0.holder), "until": .string($0.expiresAt)]) }),
            "warnings": .list(warnings.map(Value.string)),
        ])
    }
}
