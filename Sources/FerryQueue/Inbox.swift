import Foundation

/// A received record waiting to be applied.
public struct InboxItem: Sendable {
    public var id: Int64
    public var bundle: String
    public var flow: String
    public var entity: String
    public var key: String
    public var version: String
    public var line: [UInt8]
    /// Failed apply attempts so far.
    public var attempts: Int = 0
    /// The lane the record's bundle came by, and its sequence there: the sender's order.
    public var lane: String = ""
    public var sequence: Int64 = 0

    public init(
        id: Int64, bundle: String, flow: String, entity: String, key: String, version: String, line: [UInt8], attempts: Int = 0,
        lane: String = "", sequence: Int64 = 0
    ) {
        (self.id, self.bundle, self.flow, self.entity, self.key, self.version, self.line) = (id, bundle, flow, entity, key, version, line)
        (self.attempts, self.lane, self.sequence) = (attempts, lane, sequence)
    }
}

/// The inbox: staged records of accepted bundles, their outcomes, and the version last
/// applied per target and key, which makes applying idempotent.
public struct Inbox {
    let db: any StoreConnection

    public enum Outcome: String, Sendable {
        case applied
        /// The target already holds this version or a newer one.
        case skipped
        case rejected
        case conflict
        case quarantined
        /// Out of attempts; waiting in dead letters for an operator.
        case dead
    }

    public func stage(bundle: String, flow: String, entity: String, key: String, version: String, line: [UInt8]) throws {
        try stage([Staged(bundle: bundle, flow: flow, entity: entity, key: key, version: version, line: line)])
    }

    /// A record to stage: what `stage(_:)` takes.
    public struct Staged: Sendable {
        public var bundle: String, flow: String, entity: String, key: String, version: String
        public var line: [UInt8]

        public init(bundle: String, flow: String, entity: String, key: String, version: String, line: [UInt8]) {
            (self.bundle, self.flow, self.entity, self.key, self.version, self.line) = (bundle, flow, entity, key, version, line)
        }
    }

    /// Stages records in the order given, many to a statement; rows are numbered in that
    /// order, which is the order they are applied in.
    public func stage(_ records: [Staged]) throws {
        try db.sendRows("INSERT INTO inbox(bundle_id, flow, entity, record_key, version, line)", records.map { record in
            StoreArguments([.text(record.bundle), .text(record.flow), .text(record.entity), .text(record.key), .text(record.version),
                .blob(record.line)])
        })
    }

    /// Pending records whose next attempt is due at `now`.
    public func pending(limit: Int, now: String) throws -> [InboxItem] {
        // Columns by position: looking them up by name per row was a tenth of apply time.
        // In staging order, with each record's lane and sequence: the apply verdict orders
        // records of one key by those (a bundle received late never overwrites a later one),
        // so staging order need not be the senders' order.
        try db.rows(sql: """
                SELECT i.id, i.bundle_id, i.flow, i.entity, i.record_key, i.version, i.line, i.attempts, b.lane, b.sequence
                FROM inbox AS i JOIN bundles_in AS b ON b.id = i.bundle_id
                WHERE i.state = 'pending' AND (i.next_attempt_at IS NULL OR i.next_attempt_at <= ?)
                  AND NOT EXISTS (SELECT 1 FROM document_waits w WHERE w.bundle_id = i.bundle_id AND w.record_key = i.record_key)
                ORDER BY i.id LIMIT ?
                """, arguments: [now, limit]
        ).map { row in
            InboxItem(id: row[0], bundle: row[1], flow: row[2], entity: row[3], key: row[4], version: row[5],
                line: row[6], attempts: row[7], lane: row[8], sequence: row[9])
        }
    }

    /// Puts a record off until `next` after a failed attempt.
    public func postpone(id: Int64, attempts: Int, next: String) throws {
        try db.send(sql: "UPDATE inbox SET attempts = ?, next_attempt_at = ? WHERE id = ?", arguments: [attempts, next, id])
    }

    /// The newest lines staged for `key` (the key's parts joined by U+001F), for tracing
    /// what a record named.
    public func lines(key: String, limit: Int = 20) throws -> [[UInt8]] {
        try db.rows(sql: "SELECT line FROM inbox WHERE record_key = ? ORDER BY id DESC LIMIT ?", arguments: [key, limit]).map { $0[0] }
    }

    /// Settles every pending record of `bundle` with `key`: what a document refused on
    /// arrival does to the records that named it.
    public func settlePending(bundle: String, key: String, outcome: Outcome, detail: String?) throws {
        try db.execute(sql: "UPDATE inbox SET state = ?, detail = ? WHERE bundle_id = ? AND record_key = ? AND state = 'pending'",
            arguments: [outcome.rawValue, detail, bundle, key])
    }

    public func settle(id: Int64, outcome: Outcome, detail: String?) throws {
        try settle([(id, outcome, detail)])
    }

    /// Settles many records, those of one outcome and detail in a statement or a few.
    public func settle(_ settled: [(id: Int64, outcome: Outcome, detail: String?)]) throws {
        var groups: [[UInt8]: (outcome: Outcome, detail: String?, ids: [StoreValue])] = [:]
        var order: [[UInt8]] = []
        for (id, outcome, detail) in settled {
            // No outcome holds a NUL, so the first one tells outcome from detail, and an
            // empty detail from none. Bytes, not String: Swift's == takes "é" and "e\u{301}"
            // for one, and each record keeps its own detail.
            let name = Array(outcome.rawValue.utf8) + (detail.map { [0] + Array($0.utf8) } ?? [])
            if groups[name] == nil { order.append(name) }
            groups[name, default: (outcome, detail, [])].ids.append(.integer(id))
        }
        for name in order {
            let group = groups[name]!
            try db.send("UPDATE inbox SET state = ?, detail = ? WHERE id", fixed: [group.outcome.rawValue, group.detail], in: group.ids)
        }
    }

    /// What a target last applied for a key: its version (in the sortable form callers store),
    /// the content digest of that record, and where it came in its lane.
    public struct Applied: Sendable, Equatable {
        public var version: String
        public var digest: [UInt8]?
        public var lane: String?
        public var sequence: Int64?
        /// The inbox row it was staged as: orders records of one bundle.
        public var position: Int64?

        public init(version: String, digest: [UInt8]?, lane: String? = nil, sequence: Int64? = nil, position: Int64? = nil) {
            (self.version, self.digest, self.lane, self.sequence, self.position) = (version, digest, lane, sequence, position)
        }

        /// Whether this came later in `lane` than the record at (`sequence`, `position`).
        public func isLater(thanSequence sequence: Int64, position: Int64, lane: String) -> Bool {
            guard self.lane == lane, let mine = self.sequence else { return false }
            return (mine, self.position ?? 0) > (sequence, position)
        }
    }

    /// The same for each of `keys`, in order, asked for at once.
    public func applied(target: String, entity: String, keys: [String]) throws -> [Applied?] {
        // Keyed by bytes, as the store compares keys: Swift's == takes "é" and "e\u{301}" for one.
        let bytes = keys.map { Array($0.utf8) }
        var asked: [[UInt8]: String] = [:]
        for (key, utf8) in zip(keys, bytes) { asked[utf8] = key }
        var found: [[UInt8]: Applied] = [:]
        for row in try db.rows("""
                SELECT record_key, version, digest, lane, sequence, position FROM applied_versions WHERE target = ? AND entity = ? AND record_key
                """, fixed: [target, entity], in: asked.values.map { .text($0) }) {
            found[Array((row[0] as String).utf8)] = Applied(version: row[1], digest: row[2], lane: row[3], sequence: row[4], position: row[5])
        }
        return bytes.map { found[$0] }
    }

    /// The version, content digest and lane position last applied to `target` for a key.
    public func applied(target: String, entity: String, key: String) throws -> Applied? {
        try db.row(sql: """
                SELECT version, digest, lane, sequence, position FROM applied_versions WHERE target = ? AND entity = ? AND record_key = ?
                """, arguments: [target, entity, key]
        ).map { row in
            Applied(version: row[0], digest: row[1], lane: row[2], sequence: row[3], position: row[4])
        }
    }

    /// Records what a target now holds: a newer version, or the same version with other
    /// content (a same-version change, which the caller has found to be the later one).
    public func recordApplied(target: String, entity: String, key: String, version: String, digest: [UInt8]? = nil,
        lane: String? = nil, sequence: Int64? = nil, position: Int64? = nil) throws
    {
        try recordApplied([AppliedRow(target: target, entity: entity, key: key, version: version, digest: digest,
            lane: lane, sequence: sequence, position: position)])
    }

    /// One row of `recordApplied(_:)`.
    public struct AppliedRow: Sendable {
        public var target: String, entity: String, key: String, version: String
        public var digest: [UInt8]?, lane: String?, sequence: Int64?, position: Int64?

        public init(target: String, entity: String, key: String, version: String, digest: [UInt8]?, lane: String?, sequence: Int64?,
            position: Int64?)
        {
            (self.target, self.entity, self.key, self.version) = (target, entity, key, version)
            (self.digest, self.lane, self.sequence, self.position) = (digest, lane, sequence, position)
        }
    }

    /// The same for many records, in order, many to a statement. A key that comes again goes
    /// in a later statement, after its first: each row is weighed against the one before it.
    public func recordApplied(_ rows: [AppliedRow]) throws {
        var seen: [[UInt8]: Int] = [:]
        var rounds: [[StoreArguments]] = []
        for row in rows {
            let name = Array("\(row.target)\u{0}\(row.entity)\u{0}\(row.key)".utf8)
            let round = seen[name, default: 0]
            seen[name] = round + 1
            if round == rounds.count { rounds.append([]) }
            rounds[round].append([row.target, row.entity, row.key, row.version, row.digest, row.lane, row.sequence, row.position])
        }
        for round in rounds {
            try db.sendRows("INSERT INTO applied_versions(target, entity, record_key, version, digest, lane, sequence, position)", round, tail: """
                ON CONFLICT(target, entity, record_key) DO UPDATE SET
                    version = excluded.version, digest = excluded.digest, lane = excluded.lane, sequence = excluded.sequence, position = excluded.position
                WHERE excluded.version > applied_versions.version
                   OR (excluded.version = applied_versions.version AND excluded.digest IS NOT NULL)
                """)
        }
    }

    /// Per-record outcomes of one bundle, for its receipt.
    public func outcomes(bundle: String) throws -> [(entity: String, key: String, version: String, outcome: String, detail: String?)] {
        try db.rows(sql: "SELECT entity, record_key, version, state, detail FROM inbox WHERE bundle_id = ? ORDER BY id", arguments: [bundle])
            .map { ($0["entity"], $0["record_key"], $0["version"], $0["state"], $0["detail"]) }
    }
}
