public import GRDB
import Foundation
public import FerryCore
import FerrySeal

extension FerryError.Code {
    public static let auditBroken: Self = "audit.broken"
}

/// The append-only, hash-chained audit log in a node's store. Entries are appended in the
/// caller's transaction: if the audit write fails, the step it records rolls back with it,
/// so nothing is ever exchanged unaudited.
public struct AuditLog: Sendable {
    public let node: String
    static let genesis = String(repeating: "0", count: 64)

    public init(node: String) { self.node = node }

    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("audit-v1") { db in
            try db.execute(sql: """
                CREATE TABLE audit (
                    seq INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    node TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    flow TEXT,
                    lane TEXT,
                    bundle TEXT,
                    subject TEXT,
                    details TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX audit_kind ON audit(kind, seq);
                CREATE INDEX audit_bundle ON audit(bundle) WHERE bundle IS NOT NULL;
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
    }

    /// Appends one event, chained to the previous entry.
    @discardableResult
    public func append(_ db: Database, _ event: AuditEvent) throws -> AuditEntry {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"))
        let sequence = (last?["seq"] as Int64? ?? 0) + 1
        let previous = last?["hash"] as String? ?? Self.genesis
        var entry = AuditEntry(sequence: sequence, at: Timestamp.format(Date()), node: node, event: event, previousHash: previous, hash: "")
        entry.hash = Self.hash(entry)
        try db.cachedStatement(
            sql: """
                INSERT INTO audit(seq, at, node, actor, kind, flow, lane, bundle, subject, details, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(
            arguments: [
                sequence, entry.at, node, event.actor, event.kind.rawValue, event.flow, event.lane, event.bundle, event.subject,
                String(decoding: CanonicalJSON.encode(.object(event.details)), as: UTF8.self), previous, entry.hash,
            ])
        return entry
    }

    static func hash(_ entry: AuditEntry) -> String {
        hex(Hasher.sha256(Array(entry.previousHash.utf8) + entry.canonical))
    }

    /// All entries in order, optionally of one kind.
    public static func entries(_ db: Database, kind: AuditEvent.Kind? = nil) throws -> [AuditEntry] {
        var sql = "SELECT * FROM audit"
        var arguments: StatementArguments = []
        if let kind {
            sql += " WHERE kind = ?"
            arguments = [kind.rawValue]
        }
        return try Row.fetchAll(db, sql: sql + " ORDER BY seq", arguments: arguments).map(entry)
    }

    static func entry(_ row: Row) throws -> AuditEntry {
        let detailsText: String = row["details"]
        var details: [String: Value] = [:]
        if case .object(let object) = try CanonicalJSON.decode(Array(detailsText.utf8)) { details = object }
        let event = AuditEvent(
            AuditEvent.Kind(rawValue: row["kind"]), actor: row["actor"], flow: row["flow"], lane: row["lane"], bundle: row["bundle"],
            subject: row["subject"], details: details)
        return AuditEntry(sequence: row["seq"], at: row["at"], node: row["node"], event: event, previousHash: row["prev_hash"], hash: row["hash"])
    }

    public struct Verification: Sendable {
        public var entries: Int
        public var lastHash: String
    }

    /// Recomputes the chain from the first entry; throws naming the first entry that does not fit.
    public static func verify(_ db: Database) throws -> Verification {
        var previous = genesis
        var expectedSequence: Int64 = 1
        var count = 0
        let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit ORDER BY seq")
        while let row = try cursor.next() {
            let entry = try entry(row)
            guard entry.sequence == expectedSequence else {
                throw FerryError(.auditBroken, "entry \(expectedSequence) is missing (next present is \(entry.sequence))",
                    hint: "entries were deleted from the audit log")
            }
            guard entry.previousHash == previous else {
                throw FerryError(.auditBroken, "entry \(entry.sequence) does not chain to entry \(entry.sequence - 1)",
                    hint: "an entry was deleted, inserted or reordered before \(entry.sequence)")
            }
            guard hash(entry) == entry.hash else {
                throw FerryError(.auditBroken, "entry \(entry.sequence) (\(entry.event.kind.rawValue)) was altered: its hash does not match its content",
                    hint: "compare it with an exported copy of the log")
            }
            previous = entry.hash
            expectedSequence += 1
            count += 1
        }
        return Verification(entries: count, lastHash: previous)
    }
}
