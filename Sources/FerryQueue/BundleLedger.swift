public import FerryCore
import Foundation

/// The life of each bundle: outbound sealed → shipped → delivered (or dead), inbound
/// accepted → applied → receipted. Sequence numbers count per lane.
public struct BundleLedger {
    let db: any StoreConnection

    public enum OutState: String, Sendable, CaseIterable {
        /// Reserved and records assigned; the file is being written.
        case sealing
        case sealed
        /// Dropped in the transfer area at least once.
        case shipped
        /// A receipt came back.
        case delivered
        /// On a one-way lane: dropped as many times as the carousel asks; nothing more to do.
        case broadcast
        case dead
    }

    public struct Outbound: Sendable {
        public var id: String
        public var lane: String
        public var sequence: Int64
        public var kind: BundleKind
        public var state: OutState
        public var records: Int
        public var file: String?
        public var copies: Int
        /// Failed ship attempts since the bundle was sealed or re-driven.
        public var shipAttempts: Int
        /// Not shipped again before this time.
        public var nextShipAt: String?
        public var createdAt: String

        public init(
            id: String, lane: String, sequence: Int64, kind: BundleKind = .records, state: OutState, records: Int = 0, file: String? = nil,
            copies: Int = 0, shipAttempts: Int = 0, nextShipAt: String? = nil, createdAt: String = ""
        ) {
            (self.id, self.lane, self.sequence, self.kind, self.state, self.records) = (id, lane, sequence, kind, state, records)
            (self.file, self.copies, self.shipAttempts, self.nextShipAt, self.createdAt) = (file, copies, shipAttempts, nextShipAt, createdAt)
        }
    }

    /// Reserves the next sequence of a lane and records the bundle as being sealed, in the
    /// same transaction that assigns its records, so a crash leaves no gap in the sequence:
    /// a bundle left in `sealing` is sealed again on the next run.
    public func reserve(id: String, lane: String, kind: BundleKind, records: Int) throws -> Int64 {
        let sequence = try nextSequence(lane: lane)
        try db.execute(sql: "INSERT INTO bundles_out(id, lane, sequence, kind, state, records, created_at) VALUES (?, ?, ?, ?, 'sealing', ?, ?)", arguments: [id, lane, sequence, kind.rawValue, records, Clock.now])
        return sequence
    }

    /// Takes the next sequence number of a lane.
    public func nextSequence(lane: String) throws -> Int64 {
        try db.execute(sql: "INSERT INTO lanes(lane) VALUES (?) ON CONFLICT(lane) DO NOTHING", arguments: [lane])
        let sequence = try db.value(Int64.self, sql: "SELECT next_sequence FROM lanes WHERE lane = ?", arguments: [lane]) ?? 1
        try db.execute(sql: "UPDATE lanes SET next_sequence = next_sequence + 1 WHERE lane = ?", arguments: [lane])
        return sequence
    }

    public func sealed(id: String, from: Set<OutState>, file: String, contentHash: String, merkleRoot: String) throws {
        try move(id, from: from, set: "state = 'sealed', file = ?, content_hash = ?, merkle_root = ?", [file, contentHash, merkleRoot])
    }

    /// Records one more drop of bundle `id`, moving it to `state` if it is in one of
    /// `from`; the lifecycle (`OutboundLifecycle` in FerryNode) decides both.
    public func dropped(id: String, from: Set<OutState>, to state: OutState) throws {
        try move(id, from: from, set: "state = ?, shipped_at = coalesce(shipped_at, ?), copies = copies + 1", [state.rawValue, Clock.now])
    }

    /// Shipped bundles of a one-way lane still owed copies by the carousel.
    public func carousel(lane: String, copies: Int) throws -> [Outbound] {
        try db.rows(sql: Self.carouselSQL, arguments: [lane, copies]).map(Self.outbound)
    }

    // The statements a running node repeats on every pass, over tables that keep every bundle
    // it ever sent or received: each reads an index range of unfinished bundles only
    // (queue-v11), never the whole history, so a pass costs the same after years of bundles.
    package static let carouselSQL = "SELECT * FROM bundles_out WHERE lane = ? AND state = 'shipped' AND copies < ? ORDER BY sequence"
    package static let inStateSQL = "SELECT * FROM bundles_out WHERE state = ? ORDER BY lane, sequence"
    package static let awaitingReceiptSQL = """
        SELECT b.id, b.lane, b.sequence, b.sender, b.records FROM bundles_in b
        WHERE b.kind IN ('records', 'documents') AND b.receipted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.bundle_id = b.id AND i.state IN ('pending', 'dead'))
        ORDER BY b.lane, b.sequence
        """

    /// Marks a bundle delivered with the receipt's outcome summary if it is in one of `from`;
    /// false if it was unknown or already settled.
    public func delivered(id: String, from: Set<OutState>, outcome: String) throws -> Bool {
        try move(id, from: from, set: "state = 'delivered', delivered_at = ?, outcome = ?", [Clock.now, outcome])
    }

    /// Records what a receipt says became of each record of a bundle.
    public func recordOutcome(bundle: String, key: String, version: String, outcome: String, detail: String?) throws {
        try db.send(sql: "INSERT INTO delivery_outcomes(bundle_id, record_key, version, outcome, detail) VALUES (?, ?, ?, ?, ?)", arguments: [bundle, key, version, outcome, detail])
    }

    /// The outcome summary the receipt for outbound bundle `id` reported, if one came.
    public func receiptOutcome(id: String) throws -> String? {
        try db.value(String.self, sql: "SELECT outcome FROM bundles_out WHERE id = ?", arguments: [id])
    }

    /// The records of a delivered bundle that were not applied, with why.
    public func unapplied(bundle: String) throws -> [(key: String, version: String, outcome: String, detail: String?)] {
        try db.rows(sql: "SELECT record_key, version, outcome, detail FROM delivery_outcomes WHERE bundle_id = ? AND outcome NOT IN ('applied', 'skipped') ORDER BY rowid",
            arguments: [bundle]
        ).map { ($0["record_key"], $0["version"], $0["outcome"], $0["detail"]) }
    }

    public func outbound(state: OutState) throws -> [Outbound] {
        try db.rows(sql: Self.inStateSQL, arguments: [state.rawValue]).map(Self.outbound)
    }

    public func outbound(id: String) throws -> Outbound? {
        try db.row(sql: "SELECT * FROM bundles_out WHERE id = ?", arguments: [id]).map(Self.outbound)
    }

    static func outbound(_ row: StoreRow) -> Outbound {
        // A kind this build does not know can only come from a newer Ferry's store: treat it as records.
        Outbound(id: row["id"], lane: row["lane"], sequence: row["sequence"], kind: BundleKind(rawValue: row["kind"]) ?? .records,
            state: OutState(rawValue: row["state"]) ?? .dead, records: row["records"], file: row["file"], copies: row["copies"],
            shipAttempts: row["ship_attempts"], nextShipAt: row["next_ship_at"], createdAt: row["created_at"])
    }

    /// A refused ship attempt: when to try again and why it failed.
    public func shipFailed(id: String, attempts: Int, next: String, error: String) throws {
        try db.execute(
            sql: "UPDATE bundles_out SET ship_attempts = ?, next_ship_at = ?, last_error = ? WHERE id = ?",
            arguments: [attempts, next, error, id])
    }

    /// Out of ship attempts: the bundle stops moving until an operator re-drives it.
    public func dead(id: String, from: Set<OutState>, error: String) throws {
        try move(id, from: from, set: "state = 'dead', last_error = ?", [error])
    }

    /// Re-driven by an operator: sealed again with fresh attempts, if it is in one of `from`.
    public func redriven(id: String, from: Set<OutState>) throws {
        try move(id, from: from, set: "state = 'sealed', ship_attempts = 0, next_ship_at = NULL", [])
    }

    /// Applies `set` (with `values` for its `?`s) to bundle `id` if its state is one of
    /// `from`, the guard the lifecycle names; returns whether it moved. A late or repeated
    /// event finds the bundle elsewhere and changes nothing.
    @discardableResult
    private func move(_ id: String, from: Set<OutState>, set: String, _ values: [(any StoreBindable)?]) throws -> Bool {
        guard !from.isEmpty else { return false }
        let states = from.map { _ in "?" }.joined(separator: ", ")
        return try db.execute(sql: "UPDATE bundles_out SET \(set) WHERE id = ? AND state IN (\(states))",
            arguments: StoreArguments(values + [id] + from.map(\.rawValue))) > 0
    }

    /// Bundles in any of `states`, newest first, optionally of one lane: for `queue list`.
    public func outbound(states: [OutState], lane: String?, limit: Int) throws -> [Outbound] {
        guard !states.isEmpty else { return [] }
        let marks = states.map { _ in "?" }.joined(separator: ", ")
        var arguments: [(any StoreBindable)?] = states.map(\.rawValue)
        var sql = "SELECT * FROM bundles_out WHERE state IN (\(marks))"
        if let lane {
            sql += " AND lane = ?"
            arguments.append(lane)
        }
        arguments.append(limit)
        return try db.rows(sql: sql + " ORDER BY created_at DESC, sequence DESC LIMIT ?", arguments: StoreArguments(arguments))
            .map(Self.outbound)
    }

    // MARK: inbound

    public enum Seen: Sendable, Equatable {
        case new
        case duplicateID
        case replayedSequence
    }

    /// Whether an inbound bundle was seen before: by id, by its lane sequence, or because
    /// its sequence is at or below the lane's watermark. Bundles may arrive out of order;
    /// one above the watermark that has not been seen is new.
    public func seen(id: String, lane: String, sequence: Int64) throws -> Seen {
        if try db.value(Bool.self, sql: "SELECT 1 FROM bundles_in WHERE id = ?", arguments: [id]) == true { return .duplicateID }
        if sequence <= (try watermark(lane: lane)) { return .replayedSequence }
        if try db.value(Bool.self, sql: "SELECT 1 FROM bundles_in WHERE lane = ? AND sequence = ?", arguments: [lane, sequence]) == true {
            return .replayedSequence
        }
        return .new
    }

    /// Every sequence of `lane` up to this one has been received.
    public func watermark(lane: String) throws -> Int64 {
        try db.value(Int64.self, sql: "SELECT watermark FROM lanes_in WHERE lane = ?", arguments: [lane]) ?? 0
    }

    /// Moves the watermark past every sequence now received without a gap.
    func advanceWatermark(lane: String) throws {
        var mark = try watermark(lane: lane)
        while try db.value(Bool.self, sql: "SELECT 1 FROM bundles_in WHERE lane = ? AND sequence = ?", arguments: [lane, mark + 1]) == true {
            mark += 1
        }
        try db.execute(
            sql: "INSERT INTO lanes_in(lane, watermark) VALUES (?, ?) ON CONFLICT(lane) DO UPDATE SET watermark = excluded.watermark",
            arguments: [lane, mark])
    }

    public func accept(id: String, lane: String, sequence: Int64, kind: BundleKind, sender: String, contentHash: String, records: Int
    ) throws {
        try db.execute(sql: """
                INSERT INTO bundles_in(id, lane, sequence, kind, sender, content_hash, records, received_at, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'accepted')
                """, arguments: [id, lane, sequence, kind.rawValue, sender, contentHash, records, Clock.now])
        try advanceWatermark(lane: lane)
    }

    public struct Inbound: Sendable {
        public var id: String
        public var lane: String
        public var sequence: Int64
        public var sender: String
        public var records: Int
    }

    /// Records bundles whose every record has an outcome, and documents bundles, that have
    /// no receipt yet.
    public func awaitingReceipt() throws -> [Inbound] {
        try db.rows(sql: Self.awaitingReceiptSQL).map { Inbound(id: $0["id"], lane: $0["lane"], sequence: $0["sequence"], sender: $0["sender"], records: $0["records"]) }
    }

    /// When this node last asked for a lane's missing sequences again.
    public func lastResendRequest(lane: String) throws -> String? {
        try db.value(String.self, sql: "SELECT last_resend_at FROM lanes_in WHERE lane = ?", arguments: [lane])
    }

    public func resendRequested(lane: String, at time: String) throws {
        try db.execute(
            sql: "INSERT INTO lanes_in(lane, watermark, last_resend_at) VALUES (?, 0, ?) ON CONFLICT(lane) DO UPDATE SET last_resend_at = excluded.last_resend_at",
            arguments: [lane, time])
    }

    /// The outbound bundle with this lane sequence, for a resend.
    public func outbound(lane: String, sequence: Int64) throws -> Outbound? {
        try db.row(sql: "SELECT * FROM bundles_out WHERE lane = ? AND sequence = ?", arguments: [lane, sequence]).map(Self.outbound)
    }

    public func receipted(id: String) throws {
        try db.execute(sql: "UPDATE bundles_in SET receipted_at = ?, state = 'receipted' WHERE id = ?", arguments: [Clock.now, id])
    }
}
