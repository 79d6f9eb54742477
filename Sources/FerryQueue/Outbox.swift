import Foundation
import FerryCore

/// A record waiting to be sealed for one lane.
public struct OutboxItem: Sendable {
    public var id: Int64
    public var flow: String
    public var entity: String
    public var key: String
    public var version: String
    /// The canonical one-line encoding that goes into the bundle.
    public var line: [UInt8]
    public var enqueuedAt: String

    /// From `SELECT id, flow, entity, record_key, version, line, enqueued_at`, by position
    /// (by name per row was measurably slower).
    init(_ row: StoreRow) {
        (id, flow, entity, key, version, line, enqueuedAt) = (row[0], row[1], row[2], row[3], row[4], row[5], row[6])
    }
}

/// The outbox: records in, bundles out. Every function runs inside the caller's
/// transaction so enqueueing and advancing the source cursor commit together.
public struct Outbox {
    let db: any StoreConnection

    /// One record bound for one lane.
    public struct Entry: Sendable {
        public var flow: String
        public var lane: String
        public var entity: String
        public var key: String
        public var version: String
        /// The canonical one-line encoding that goes into the bundle.
        public var line: [UInt8]

        public init(flow: String, lane: String, entity: String, key: String, version: String, line: [UInt8]) {
            (self.flow, self.lane, self.entity, self.key, self.version, self.line) = (flow, lane, entity, key, version, line)
        }
    }

    /// Enqueues a batch of records, many to a statement (`StoreBatch`): a statement per row
    /// spent much of enqueue in statement overhead.
    /// - Parameter at: the enqueue time, shared by a batch (formatting it per record was a
    ///   measurable share of enqueue cost).
    public func enqueue(_ entries: [Entry], at: String = Clock.now) throws {
        try db.sendRows("INSERT INTO outbox(flow, lane, entity, record_key, version, line, enqueued_at)", entries.map { entry in
            StoreArguments([.text(entry.flow), .text(entry.lane), .text(entry.entity), .text(entry.key), .text(entry.version),
                .blob(entry.line), .text(at)])
        })
    }

    /// The oldest unsealed records of a lane: at most `limit` of them and `maxBytes` of
    /// their lines (always at least one). `full` says a limit stopped the lease, so a whole
    /// bundle's worth is waiting.
    public func pending(lane: String, limit: Int, maxBytes: Int = .max) throws -> (items: [OutboxItem], full: Bool) {
        let rows = try db.rows(sql: """
                SELECT id, flow, entity, record_key, version, line, enqueued_at FROM outbox
                WHERE lane = ? AND bundle_id IS NULL ORDER BY id LIMIT ?
                """, arguments: [lane, limit])
        var items: [OutboxItem] = []
        var bytes = 0
        for row in rows {
            let item = OutboxItem(row)
            if !items.isEmpty, bytes + item.line.count + 1 > maxBytes { return (items, true) }
            bytes += item.line.count + 1
            items.append(item)
        }
        return (items, items.count >= limit)
    }

    public func pendingCount(lane: String? = nil) throws -> Int {
        if let lane {
            return try db.value(Int.self, sql: "SELECT count(*) FROM outbox WHERE lane = ? AND bundle_id IS NULL", arguments: [lane]) ?? 0
        }
        return try db.value(Int.self, sql: "SELECT count(*) FROM outbox WHERE bundle_id IS NULL") ?? 0
    }

    /// Lanes that have unsealed records.
    public func lanesWithPending() throws -> [String] {
        try db.values(String.self, sql: "SELECT DISTINCT lane FROM outbox WHERE bundle_id IS NULL ORDER BY lane")
    }

    /// Assigns records to a bundle; from then on they leave with it.
    public func assign(ids: [Int64], to bundle: String) throws {
        try db.send("UPDATE outbox SET bundle_id = ? WHERE bundle_id IS NULL AND id", fixed: [bundle], in: ids.map { .integer($0) })
    }

    /// The entity of each record key in a bundle.
    public func entities(bundle: String) throws -> [String: String] {
        var entities: [String: String] = [:]
        for row in try db.rows(sql: "SELECT record_key, entity FROM outbox WHERE bundle_id = ?", arguments: [bundle]) {
            entities[row[0]] = row[1]
        }
        return entities
    }

    public func items(bundle: String) throws -> [OutboxItem] {
        try db.rows(sql: "SELECT id, flow, entity, record_key, version, line, enqueued_at FROM outbox WHERE bundle_id = ? ORDER BY id", arguments: [bundle])
            .map { row in
                OutboxItem(row)
            }
    }

    /// The newest lines queued for `key` (the key's parts joined by U+001F), for tracing
    /// what a record named.
    public func lines(key: String, limit: Int = 20) throws -> [[UInt8]] {
        try db.rows(sql: "SELECT line FROM outbox WHERE record_key = ? ORDER BY id DESC LIMIT ?", arguments: [key, limit]).map { $0[0] }
    }
}

/// Source cursors: opaque positions, committed only with the records they cover.
public struct Cursors {
    let db: any StoreConnection

    public func get(flow: String) throws -> String? {
        try db.value(String.self, sql: "SELECT value FROM cursors WHERE flow = ?", arguments: [flow])
    }

    public func clear(flow: String) throws {
        try db.execute(sql: "DELETE FROM cursors WHERE flow = ?", arguments: [flow])
    }

    public func set(flow: String, value: String) throws {
        try db.execute(
            sql: "INSERT INTO cursors(flow, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(flow) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            arguments: [flow, value, Clock.now])
    }
}

/// Records stopped at a stage, kept (in this node's own store) so they can be fixed and re-driven.
public struct Quarantine {
    let db: any StoreConnection

    /// Keeps one refused row.
    /// - Parameters:
    ///   - payload: the row's raw input, sealed by the caller (it may hold personal data).
    ///   - rules: the rules that refused it, so `ferry queue requeue --rule` can pick it.
    ///   - fingerprint: a keyed digest of the raw input: a row still held with the same one at
    ///     the same position is the same input read again (a look-back window), kept once.
    /// - Returns: whether the row was kept (false: it is held already).
    @discardableResult
    public func add(flow: String, stage: String, maskedKey: String, issues: String, position: String?, payload: [UInt8]?, rules: [String] = [],
        fingerprint: [UInt8]? = nil
    ) throws -> Bool {
        // `IS ?` would do for both cases in SQLite; PostgreSQL has no `IS` with a parameter.
        let samePosition = position == nil ? "source_position IS NULL" : "source_position = ?"
        var same: StoreArguments = [flow, fingerprint]
        if let position { same.append(position) }
        if fingerprint != nil,
            try db.value(Int.self, sql: "SELECT 1 FROM quarantine WHERE flow = ? AND raw_digest = ? AND \(samePosition) AND requeued_at IS NULL LIMIT 1",
                arguments: same) != nil
        {
            return false
        }
        try db.execute(
            sql: "INSERT INTO quarantine(flow, stage, masked_key, issues, source_position, payload, at, rules, raw_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [flow, stage, maskedKey, issues, position, payload, Clock.now,
                rules.isEmpty ? nil : "," + rules.joined(separator: ",") + ",", fingerprint])
        return true
    }

    /// Rows still held (not re-driven).
    public func count(flow: String? = nil) throws -> Int {
        if let flow {
            return try db.value(Int.self, sql: "SELECT count(*) FROM quarantine WHERE flow = ? AND requeued_at IS NULL", arguments: [flow]) ?? 0
        }
        return try db.value(Int.self, sql: "SELECT count(*) FROM quarantine WHERE requeued_at IS NULL") ?? 0
    }

    /// A held row with its sealed raw input.
    public struct Held: Sendable {
        public var id: Int64
        public var flow: String
        public var position: String?
        public var rules: [String]
        public var payload: [UInt8]?
    }

    /// Rows still held, oldest first, of one flow and stopped by one rule if asked.
    public func held(flow: String?, rule: String?) throws -> [Held] {
        var sql = "SELECT id, flow, source_position, rules, payload FROM quarantine WHERE requeued_at IS NULL"
        var arguments: [(any StoreBindable)?] = []
        if let flow { sql += " AND flow = ?"; arguments.append(flow) }
        if let rule { sql += " AND rules LIKE ? ESCAPE '\\'"; arguments.append("%," + rule.replacingUTF8("\\", with: "\\\\").replacingUTF8("%", with: "\\%").replacingUTF8("_", with: "\\_") + ",%") }
        return try db.rows(sql: sql + " ORDER BY id", arguments: StoreArguments(arguments)).map { row in
            Held(id: row[0], flow: row[1], position: row[2], rules: ((row[3] as String?) ?? "").split(separator: ",").map(String.init),
                payload: row[4])
        }
    }

    /// Marks a held row as re-driven: it passed the current mapping and was enqueued.
    public func markRequeued(id: Int64) throws {
        try db.execute(sql: "UPDATE quarantine SET requeued_at = ? WHERE id = ?", arguments: [Clock.now, id])
    }

    /// Replaces a held row's reasons after it failed again under the current mapping.
    public func refuseAgain(id: Int64, issues: String, rules: [String]) throws {
        try db.execute(sql: "UPDATE quarantine SET issues = ?, rules = ?, at = ? WHERE id = ?",
            arguments: [issues, rules.isEmpty ? nil : "," + rules.joined(separator: ",") + ",", Clock.now, id])
    }
}

/// Wall-clock time as Ferry stores it.
public enum Clock {
    public static var now: String { Timestamp.format(Date()) }
}
