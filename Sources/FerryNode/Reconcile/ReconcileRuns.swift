import Foundation
import FerryCore
import FerryQueue
import FerryReconcile
import GRDB

/// Reconcile runs in the node's store: the runs this node opened or answered, their state
/// and report, and the reconcile lines received but not yet processed. A line is staged in
/// the same transaction that records its bundle as received, so a crash between receiving
/// and answering loses nothing: the next receive picks it up.
enum ReconcileRuns {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("reconcile-v1") { db in
            try db.execute(sql: """
                CREATE TABLE reconcile_runs (
                    run TEXT NOT NULL,
                    role TEXT NOT NULL,            -- opener | answerer
                    flow TEXT NOT NULL,
                    source TEXT NOT NULL,
                    target TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    mode TEXT NOT NULL,            -- two-way | one-way
                    state TEXT NOT NULL,           -- waiting | answered | done | unresolved
                    actor TEXT NOT NULL,
                    rounds INTEGER NOT NULL DEFAULT 1,
                    opened_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    report TEXT,
                    applied_at TEXT,
                    UNIQUE (run, role)
                );
                CREATE INDEX reconcile_runs_flow ON reconcile_runs(flow, updated_at);
                CREATE TABLE reconcile_inbox (
                    id INTEGER PRIMARY KEY,
                    bundle TEXT NOT NULL,
                    lane TEXT NOT NULL,
                    line BLOB NOT NULL,
                    received_at TEXT NOT NULL,
                    done_at TEXT
                );
                """)
        }
        // What each opening last summarised towards a target: the next one-way opening ships
        // only the ranges whose sums have changed since.
        migrator.registerMigration("reconcile-opened-v1") { db in
            try db.execute(sql: """
                CREATE TABLE reconcile_opened (
                    flow TEXT NOT NULL,
                    target TEXT NOT NULL,
                    run TEXT NOT NULL,
                    leaves BLOB NOT NULL,          -- 4096 range sums, 40 bytes each
                    opened_at TEXT NOT NULL,
                    PRIMARY KEY (flow, target)
                ) WITHOUT ROWID;
                """)
        }
    }

    /// The leaf sums the last opening of `flow` towards `target` summarised, and its run.
    static func lastOpened(_ db: Database, flow: String, target: String) throws -> (run: String, leaves: [RangeSum])? {
        guard let row = try Row.fetchOne(db, sql: "SELECT run, leaves FROM reconcile_opened WHERE flow = ? AND target = ?", arguments: [flow, target]) else {
            return nil
        }
        let bytes = Array(row["leaves"] as Data)
        let leaves = stride(from: 0, to: bytes.count - 39, by: 40).compactMap { RangeSum(bytes: Array(bytes[$0..<($0 + 40)])) }
        return leaves.count == DigestIndex.ranges ? (row["run"], leaves) : nil
    }

    static func recordOpened(_ db: Database, flow: String, target: String, run: String, leaves: [RangeSum]) throws {
        try db.execute(sql: """
            INSERT INTO reconcile_opened(flow, target, run, leaves, opened_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(flow, target) DO UPDATE SET run = excluded.run, leaves = excluded.leaves, opened_at = excluded.opened_at
            """, arguments: [flow, target, run, Data(leaves.flatMap(\.bytes)), Clock.now])
    }

    struct Run: Sendable {
        var run: String
        var role: String
        var flow: String
        var source: String
        var target: String
        var entity: String
        var mode: String
        var state: String
        var actor: String
        var rounds: Int
        var openedAt: String
        var updatedAt: String
        var report: String?
        var appliedAt: String?

        init(row: Row) {
            (run, role, flow, source, target, entity) = (row["run"], row["role"], row["flow"], row["source"], row["target"], row["entity"])
            (mode, state, actor, rounds, openedAt, updatedAt, report) = (row["mode"], row["state"], row["actor"], row["rounds"], row["opened_at"], row["updated_at"], row["report"])
            appliedAt = row["applied_at"]
        }
    }

    static func open(_ db: Database, message: ReconcileMessage, role: String, state: String, actor: String) throws {
        try db.execute(sql: """
            INSERT INTO reconcile_runs(run, role, flow, source, target, entity, mode, state, actor, opened_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(run, role) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, rounds = rounds + 1
            """, arguments: [message.run, role, message.flow, message.source, message.target, message.entity,
                message.oneWay ? "one-way" : "two-way", state, actor, Clock.now, Clock.now])
    }

    static func run(_ db: Database, _ run: String, role: String) throws -> Run? {
        try Row.fetchOne(db, sql: "SELECT * FROM reconcile_runs WHERE run = ? AND role = ?", arguments: [run, role]).map(Run.init)
    }

    static func update(_ db: Database, _ run: String, role: String, state: String, report: String? = nil, nextRound: Bool = false) throws {
        try db.execute(sql: """
            UPDATE reconcile_runs SET state = ?, report = COALESCE(?, report), updated_at = ?, rounds = rounds + ? WHERE run = ? AND role = ?
            """, arguments: [state, report, Clock.now, nextRound ? 1 : 0, run, role])
    }

    /// The newest runs of a flow (or of every flow), the last opened first: times have
    /// whole seconds, the row order does not tie.
    static func latest(_ db: Database, flow: String?, limit: Int = 20) throws -> [Run] {
        try Row.fetchAll(db, sql: """
            SELECT * FROM reconcile_runs WHERE (? IS NULL OR flow = ?) ORDER BY rowid DESC LIMIT ?
            """, arguments: [flow, flow, limit]).map(Run.init)
    }

    static func stage(_ db: Database, bundle: String, lane: String, line: [UInt8]) throws {
        try db.execute(sql: "INSERT INTO reconcile_inbox(bundle, lane, line, received_at) VALUES (?, ?, ?, ?)",
            arguments: [bundle, lane, Data(line), Clock.now])
    }

    /// Takes the oldest unprocessed line and marks it taken in the same transaction: a line
    /// is acted on once, and one that crashes the process is not taken up again forever.
    /// Its bytes are dropped (a sketch can be megabytes); the bundle stays archived.
    static func claim(_ db: Database) throws -> (id: Int64, bundle: String, lane: String, line: [UInt8])? {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, bundle, lane, line FROM reconcile_inbox WHERE done_at IS NULL ORDER BY id LIMIT 1") else {
            return nil
        }
        let id: Int64 = row["id"]
        try db.execute(sql: "UPDATE reconcile_inbox SET done_at = ?, line = X'' WHERE id = ?", arguments: [Clock.now, id])
        return (id, row["bundle"], row["lane"], Array(row["line"] as Data))
    }

    /// Records that a run's plan was sent; false when it already was.
    static func markApplied(_ db: Database, run: String) throws -> Bool {
        try db.execute(sql: "UPDATE reconcile_runs SET applied_at = ? WHERE run = ? AND role = 'opener' AND applied_at IS NULL",
            arguments: [Clock.now, run])
        return db.changesCount == 1
    }
}
