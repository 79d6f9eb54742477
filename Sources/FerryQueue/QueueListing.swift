import FerryCore

/// What `ferry queue list` shows: bundles of both directions and, on request, the
/// records still waiting in the outbox and inbox.
public struct QueueListing: Sendable {
    public struct Bundle: Sendable {
        public var direction: String
        public var lane: String
        public var sequence: Int64
        public var id: String
        public var kind: String
        public var state: String
        public var records: Int
        /// Sealed (outbound) or received (inbound).
        public var at: String
        public var attempts: Int
        public var error: String?
    }

    public struct Record: Sendable {
        /// `outbox` (not yet sealed) or `inbox` (not yet applied).
        public var queue: String
        public var lane: String
        public var flow: String
        public var entity: String
        /// As stored: callers mask it when the entity's key is personal.
        public var key: String
        public var version: String
        public var state: String
        public var at: String
        public var attempts: Int
    }

    /// A record stopped by a mapping rule, as quarantine keeps it: key masked, reasons.
    public struct Quarantined: Sendable {
        public var flow: String
        public var stage: String
        public var key: String
        public var issues: String
        public var position: String?
        public var at: String
    }

    public var bundles: [Bundle] = []
    public var records: [Record] = []
    public var quarantined: [Quarantined] = []
}

extension StoreTransaction {
    /// A node's bundles, newest first, at most `limit` per direction, filtered by lane,
    /// flow (records only) and state; with `records`, the waiting records and the newest
    /// quarantined ones (state `quarantined`) too. Keys, errors and reasons are as stored.
    public func listing(lane: String?, flow: String?, state: String?, records: Bool, limit: Int) throws -> QueueListing {
        var listing = QueueListing()
        var bundles = SQLFilter()
        bundles.add("lane = ?", lane)
        bundles.add("state = ?", state)
        for row in try db.rows(sql: "SELECT * FROM bundles_out\(bundles.clause) ORDER BY created_at DESC, sequence DESC LIMIT ?",
            arguments: bundles.arguments(limit: limit)) {
            listing.bundles.append(QueueListing.Bundle(row, direction: "out", at: row["created_at"], attempts: row["ship_attempts"], error: row["last_error"]))
        }
        for row in try db.rows(sql: "SELECT * FROM bundles_in\(bundles.clause) ORDER BY received_at DESC, sequence DESC LIMIT ?",
            arguments: bundles.arguments(limit: limit)) {
            listing.bundles.append(QueueListing.Bundle(row, direction: "in", at: row["received_at"], attempts: 0, error: nil))
        }
        guard records else { return listing }
        listing.records = try waitingRecords(lane: lane, flow: flow, state: state, limit: limit)
        if state == nil || state == "quarantined" {
            // Rows re-driven by 'ferry queue requeue' are no longer held.
            var quarantine = SQLFilter(["requeued_at IS NULL"])
            quarantine.add("flow = ?", flow)
            for row in try db.rows(sql: "SELECT flow, stage, masked_key, issues, source_position, at FROM quarantine\(quarantine.clause) ORDER BY id DESC LIMIT ?",
                arguments: quarantine.arguments(limit: limit)) {
                let flow: String = row["flow"], stage: String = row["stage"], key: String = row["masked_key"]
                let issues: String = row["issues"], position: String? = row["source_position"], at: String = row["at"]
                listing.quarantined.append(QueueListing.Quarantined(flow: flow, stage: stage, key: key, issues: issues, position: position, at: at))
            }
        }
        return listing
    }

    private func waitingRecords(lane: String?, flow: String?, state: String?, limit: Int) throws -> [QueueListing.Record] {
        var records: [QueueListing.Record] = []
        var outbox = SQLFilter(["bundle_id IS NULL"])
        outbox.add("lane = ?", lane)
        outbox.add("flow = ?", flow)
        // Unsealed records have one state; asking for another state lists none of them.
        if state == nil || state == "pending" {
            for row in try db.rows(sql: "SELECT lane, flow, entity, record_key, version, enqueued_at FROM outbox\(outbox.clause) ORDER BY id LIMIT ?",
                arguments: outbox.arguments(limit: limit)) {
                records.append(QueueListing.Record(row, queue: "outbox", state: "pending", at: row["enqueued_at"], attempts: 0))
            }
        }
        var inbox = SQLFilter(state == nil ? ["inbox.state IN ('pending', 'dead')"] : [])
        inbox.add("inbox.state = ?", state)
        inbox.add("bundles_in.lane = ?", lane)
        inbox.add("inbox.flow = ?", flow)
        for row in try db.rows(sql: """
            SELECT bundles_in.lane AS lane, inbox.flow AS flow, inbox.entity AS entity, inbox.record_key AS record_key,
                inbox.version AS version, inbox.state AS state, bundles_in.received_at AS at, inbox.attempts AS attempts
            FROM inbox JOIN bundles_in ON bundles_in.id = inbox.bundle_id
            \(inbox.clause) ORDER BY inbox.id LIMIT ?
            """, arguments: inbox.arguments(limit: limit)) {
            records.append(QueueListing.Record(row, queue: "inbox", state: row["state"], at: row["at"], attempts: row["attempts"]))
        }
        return records
    }
}

extension QueueListing.Bundle {
    /// A `bundles_out` or `bundles_in` row; typed one column at a time, which keeps the
    /// compiler's inference of `Row` subscripts cheap.
    init(_ row: StoreRow, direction: String, at: String, attempts: Int, error: String?) {
        let lane: String = row["lane"], sequence: Int64 = row["sequence"], id: String = row["id"]
        let kind: String = row["kind"], state: String = row["state"], records: Int = row["records"]
        self.init(direction: direction, lane: lane, sequence: sequence, id: id, kind: kind, state: state, records: records,
            at: at, attempts: attempts, error: error)
    }
}

extension QueueListing.Record {
    /// An outbox or inbox row with `lane`, `flow`, `entity`, `record_key` and `version`.
    init(_ row: StoreRow, queue: String, state: String, at: String, attempts: Int) {
        let lane: String = row["lane"], flow: String = row["flow"], entity: String = row["entity"]
        let key: String = row["record_key"], version: String = row["version"]
        self.init(queue: queue, lane: lane, flow: flow, entity: entity, key: key, version: version,
            state: state, at: at, attempts: attempts)
    }
}

/// The WHERE clause of a listing and its bound values, from the filters an operator gave.
struct SQLFilter {
    private var conditions: [String]
    private var values: [(any StoreBindable)?] = []

    init(_ fixed: [String] = []) { conditions = fixed }

    /// Adds `condition` (with one `?`) when the operator gave a value for it.
    mutating func add(_ condition: String, _ value: String?) {
        guard let value else { return }
        conditions.append(condition)
        values.append(value)
    }

    var clause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }

    func arguments(limit: Int) -> StoreArguments { StoreArguments(values + [limit]) }
}
