import Foundation

/// What each flow last sent per record key, as a content digest: a source read that goes
/// back over rows it has read before (a look-back window, rows sharing the last cursor
/// value, rows with no cursor value, a full read) sends only what changed since.
///
/// The digest covers the whole record envelope (entity, key, version, operation, fields), so
/// a same-version change with different content is sent, and an unchanged row is not.
public struct SentDigests {
    let db: any StoreConnection

    /// The digests last sent by `flow` for `keys`; keys never sent are absent.
    public func lookup(flow: String, keys: [String]) throws -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        try forEach(column: "digest", flow: flow, keys: keys) { key, value in if let bytes = [UInt8].decode(value) { found[key] = bytes } }
        return found
    }

    /// Each row of `keys` sent by `flow`, with one column, many keys to a statement.
    private func forEach(column: String, flow: String, keys: [String], _ body: (String, StoreValue) -> Void
    ) throws {
        for row in try db.rows("SELECT record_key, \(column) FROM sent_digests WHERE flow = ? AND record_key", fixed: [flow], in: keys.map { .text($0) }) {
            body(row[0], row.values[1])
        }
    }

    /// Remembers what `flow` sent, in the transaction that enqueues it, with the newest
    /// quarantine entry at that moment: a quarantined row older than a send of its key is one
    /// the source has moved past.
    public func record(flow: String, _ sent: [(key: String, digest: [UInt8])]) throws {
        guard !sent.isEmpty else { return }
        let newestQuarantine = try db.value(Int64.self, sql: "SELECT coalesce(max(id), 0) FROM quarantine") ?? 0
        // A key sent twice in one batch: its last digest stands. Keys are told apart by
        // their bytes, as the store does: Swift's == takes "é" and "e\u{301}" for one.
        var last: [[UInt8]: Int] = [:]
        for (index, entry) in sent.enumerated() { last[Array(entry.key.utf8)] = index }
        try db.sendRows("INSERT INTO sent_digests(flow, record_key, digest, after_quarantine)",
            last.values.sorted().map { [flow, sent[$0].key, sent[$0].digest, newestQuarantine] },
            tail: "ON CONFLICT(flow, record_key) DO UPDATE SET digest = excluded.digest, after_quarantine = excluded.after_quarantine")
    }

    /// Of `keys`, those `flow` sent after quarantine entry `id` was made, with the entry each
    /// send came after.
    public func sentSince(flow: String, keys: [String]) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        try forEach(column: "after_quarantine", flow: flow, keys: keys) { key, value in found[key] = Int64.decode(value) ?? 0 }
        return found
    }

    /// Notes the targets a flow sends to and returns those added since the last note (none
    /// on the first). A caller that gets some forgets what the flow sent and its cursor, so
    /// the new target gets every record; targets that hold them already see duplicates.
    public func noteTargets(flow: String, targets: [String]) throws -> [String] {
        let previous = try db.value(String.self, sql: "SELECT targets FROM flow_routes WHERE flow = ?", arguments: [flow])
        let signature = targets.sorted().joined(separator: "\u{1F}")
        guard previous != signature else { return [] }
        try db.execute(sql: "INSERT INTO flow_routes(flow, targets) VALUES (?, ?) ON CONFLICT(flow) DO UPDATE SET targets = excluded.targets",
            arguments: [flow, signature])
        guard let previous else { return [] }
        let known = Set(previous.split(separator: "\u{1F}").map(String.init))
        return targets.filter { !known.contains($0) }.sorted()
    }

    /// Forgets that `flow` sent `key` as `digest` (a target refused it): the next read of the
    /// row sends it again. A newer send of the key is left alone.
    public func forget(flow: String, key: String, digest: [UInt8]) throws {
        try db.execute(sql: "DELETE FROM sent_digests WHERE flow = ? AND record_key = ? AND digest = ?", arguments: [flow, key, digest])
    }

    /// Forgets what a flow sent, so its next read sends every record again
    /// (`ferry queue reset-checkpoint`).
    public func clear(flow: String) throws {
        try db.execute(sql: "DELETE FROM sent_digests WHERE flow = ?", arguments: [flow])
    }
}
