import FerryCore
import FerrySeal
public import FerryQueue

/// Questions auditors and operators ask of one node's audit log: which entries match, how
/// many of each kind and reason, what the dashboard shows. The log's SQL stays here, with
/// the tables (`AuditLog`); callers get entries and counts.
///
/// Every part of a query is optional; set parts narrow the result (AND).
public struct AuditQuery: Sendable {
    /// Entries at or after this time (RFC 3339, as the log stores it).
    public var since: String?
    /// Entries before this time.
    public var until: String?
    /// Entry kinds (`AuditEvent.Kind` raw values).
    public var kinds: [String] = []
    public var bundle: String?
    /// Entries of this flow, and of the bundles its records travelled in: bundles carry
    /// lanes, not flows.
    public var flow: String?
    /// Entries about a system: naming it in their details (`system`, `targets`) or
    /// belonging to one of `flows`, the flows that read or write it.
    public var system: (name: String, flows: [String])?
    /// 16-byte keyed record digests (`RecordDigester.keyDigest`): entries about one of
    /// these records, on their own or in a batch's record index.
    public var keyDigests: [[UInt8]]?
    /// At most this many entries: the newest.
    public var limit = 200

    public init() {}

    /// The newest `limit` matching entries, newest first.
    public func entries(_ tx: StoreTransaction) throws -> [AuditEntry] {
        var clauses: [String] = []
        var arguments: [any StoreBindable] = []
        if let since { clauses.append("at >= ?"); arguments.append(since) }
        if let until { clauses.append("at < ?"); arguments.append(until) }
        if let bundle { clauses.append("bundle = ?"); arguments.append(bundle) }
        if !kinds.isEmpty {
            clauses.append("kind IN (\(Self.marks(kinds.count)))")
            arguments += kinds
        }
        if let flow {
            clauses.append("(flow = ? OR bundle IN (SELECT bundle FROM audit WHERE flow = ? AND bundle IS NOT NULL))")
            arguments += [flow, flow]
        }
        if let system {
            let dialect = tx.db.dialect
            clauses.append("(\(dialect.jsonText("details", ["system"])) = ? OR \(dialect.jsonRaw("details", "targets")) LIKE ?"
                + " OR \(Self.isIn("flow", system.flows.count)))")
            arguments += [system.name, "%\"\(system.name)\"%"]
            arguments += system.flows
        }
        if let keyDigests {
            let batches = Set(try KeyFilter.places(tx, keys: keyDigests).map(\.sequence))
            let inBatches = batches.isEmpty ? "1 = 0" : "seq IN (\(batches.map(String.init).joined(separator: ",")))"
            clauses.append("(\(Self.isIn("key_digest", keyDigests.count)) OR \(inBatches))")
            arguments += keyDigests.map { hex($0) }
        }
        let sql = "SELECT * FROM audit" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")) + " ORDER BY seq DESC LIMIT ?"
        arguments.append(limit)
        return try tx.db.rows(sql: sql, arguments: StoreArguments(arguments)).map(AuditLog.entry)
    }

    /// Counts of one node's entries in [since, until).
    public struct Counts: Sendable {
        public var byKind: [String: Int] = [:]
        /// Refusal-like entries (rejections, quarantines, dead letters, refused ships,
        /// conflicts, holds, console denials and failed logins) by kind and by the reason
        /// they give: a code, the first rule, the stage or the reason text, unredacted.
        public var byReason: [(kind: String, reason: String, count: Int)] = []
        /// By UTC day, `YYYY-MM-DD`.
        public var byDay: [String: Int] = [:]
    }

    public static func counts(_ tx: StoreTransaction, since: String?, until: String?) throws -> Counts {
        let range = "WHERE at >= ? AND at < ?"
        let arguments: StoreArguments = [since ?? "", until ?? "9999"]
        var counts = Counts()
        for row in try tx.db.rows(sql: "SELECT kind, count(*) AS n FROM audit \(range) GROUP BY kind", arguments: arguments) {
            counts.byKind[row["kind"], default: 0] += row["n"] as Int
        }
        let dialect = tx.db.dialect
        let reason = "COALESCE(" + [["code"], ["rules", 0], ["stage"], ["reason"]].map { dialect.jsonText("details", $0) }.joined(separator: ", ") + ", '')"
        let refusals: [AuditEvent.Kind] = [.rejected, .quarantined, .deadLettered, .shipRefused, .conflict, .held, .consoleDenied, .consoleLoginFailed]
        for row in try tx.db.rows(sql: """
            SELECT kind, \(reason) AS reason, count(*) AS n FROM audit \(range)
            AND kind IN (\(refusals.map { "'\($0.rawValue)'" }.joined(separator: ", ")))
            GROUP BY kind, reason
            """, arguments: arguments)
        {
            counts.byReason.append((row["kind"], row["reason"], row["n"]))
        }
        for row in try tx.db.rows(sql: "SELECT substr(at, 1, 10) AS day, count(*) AS n FROM audit \(range) GROUP BY day", arguments: arguments) {
            counts.byDay[row["day"], default: 0] += row["n"] as Int
        }
        return counts
    }

    /// The entry with sequence number `sequence`, if any.
    public static func entry(_ tx: StoreTransaction, sequence: Int64) throws -> AuditEntry? {
        try tx.db.row(sql: "SELECT * FROM audit WHERE seq = ?", arguments: [sequence]).map(AuditLog.entry)
    }

    /// Entries about one record on its own (their `key_digest` is one of `keyDigests`), oldest first.
    public static func entries(_ tx: StoreTransaction, keyDigests: [[UInt8]]) throws -> [AuditEntry] {
        guard !keyDigests.isEmpty else { return [] }
        return try tx.db.rows(sql: "SELECT * FROM audit WHERE key_digest IN (\(marks(keyDigests.count))) ORDER BY seq",
            arguments: StoreArguments(keyDigests.map { hex($0) })).map(AuditLog.entry)
    }

    /// Entries about one document (`sha256:…` or `sm3:…`), oldest first: those it is the
    /// subject of, and the bundles that carried it (their details name it).
    public static func entries(_ tx: StoreTransaction, document digest: String) throws -> [AuditEntry] {
        guard DocumentRef.isDigest(digest) else { return [] }
        return try tx.db.rows(sql: "SELECT * FROM audit WHERE subject = ? OR (kind IN ('sealed', 'received') AND details LIKE ?) ORDER BY seq",
            arguments: [digest, "%\"" + digest + "\"%"]).map(AuditLog.entry)
    }

    /// The newest entry of `kind`, if any.
    public static func latest(_ tx: StoreTransaction, kind: AuditEvent.Kind) throws -> AuditEntry? {
        try tx.db.row(sql: "SELECT * FROM audit WHERE kind = ? ORDER BY seq DESC LIMIT 1", arguments: [kind.rawValue]).map(AuditLog.entry)
    }

    /// What the dashboard shows of recent activity.
    public struct Activity: Sendable {
        /// The time of each flow's last pull.
        public var lastPulled: [String: String] = [:]
        /// The time of each lane's last received bundle.
        public var lastReceived: [String: String] = [:]
        /// Bundles refused on receipt, ever.
        public var rejected = 0
    }

    public static func activity(_ tx: StoreTransaction) throws -> Activity {
        var activity = Activity()
        for row in try tx.db.rows(sql: "SELECT flow, max(at) AS at FROM audit WHERE kind = 'pulled' GROUP BY flow") {
            activity.lastPulled[row["flow"]] = row["at"]
        }
        for row in try tx.db.rows(sql: "SELECT lane, max(at) AS at FROM audit WHERE kind = 'received' GROUP BY lane") {
            activity.lastReceived[row["lane"]] = row["at"]
        }
        activity.rejected = try tx.db.value(Int.self, sql: "SELECT count(*) FROM audit WHERE kind = 'rejected'") ?? 0
        return activity
    }

    private static func marks(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ",") }

    /// `column IN (?, …)` for `count` values; for none, a condition no row meets, since
    /// PostgreSQL refuses an empty `IN ()` that SQLite takes.
    private static func isIn(_ column: String, _ count: Int) -> String { count == 0 ? "1 = 0" : "\(column) IN (\(marks(count)))" }
}
