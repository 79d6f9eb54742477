import Foundation
import FerryCore
public import FerryReconcile

/// Reconcile runs in the node's store: the runs this node opened or answered, their state
/// and report, and the reconcile lines received but not yet processed. A line is staged in
/// the same transaction that records its bundle as received, so a crash between receiving
/// and answering loses nothing: the next receive picks it up.
public struct ReconcileRuns: StoreSchema {
    let db: any StoreConnection

    package static var migrations: [StoreMigration] {
        [
        StoreMigration("reconcile-v1", script: """
                CREATE TABLE reconcile_runs (
                    ROWID_COLUMN
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
                """),
        // What each opening last summarised towards a target: the next one-way opening ships
        // only the ranges whose sums have changed since.
        StoreMigration("reconcile-opened-v1", script: """
                CREATE TABLE reconcile_opened (
                    flow TEXT NOT NULL,
                    target TEXT NOT NULL,
                    run TEXT NOT NULL,
                    leaves BLOB NOT NULL,          -- 4096 range sums, 40 bytes each
                    opened_at TEXT NOT NULL,
                    PRIMARY KEY (flow, target)
                ) WITHOUT ROWID;
                """),
        ]
    }

    /// The leaf sums the last opening of `flow` towards `target` summarised, and its run.
    public func lastOpened(flow: String, target: String) throws -> (run: String, leaves: [RangeSum])? {
        guard let row = try db.row(sql: "SELECT run, leaves FROM reconcile_opened WHERE flow = ? AND target = ?", arguments: [flow, target]) else {
            return nil
        }
        guard let leaves = RangeSum.split(row["leaves"]), leaves.count == DigestIndex.ranges else { return nil }
        return (row["run"], leaves)
    }

    public func recordOpened(flow: String, target: String, run: String, leaves: [RangeSum]) throws {
        try db.execute(sql: """
            INSERT INTO reconcile_opened(flow, target, run, leaves, opened_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(flow, target) DO UPDATE SET run = excluded.run, leaves = excluded.leaves, opened_at = excluded.opened_at
            """, arguments: [flow, target, run, RangeSum.joined(leaves), Clock.now])
    }

    public struct Run: Sendable {
        public var run: String
        public var role: String
        public var flow: String
        public var source: String
        public var target: String
        public var entity: String
        public var mode: String
        public var state: String
        public var actor: String
        public var rounds: Int
        public var openedAt: String
        public var updatedAt: String
        public var report: String?
        public var appliedAt: String?

        init(row: StoreRow) {
            (run, role, flow, source, target, entity) = (row["run"], row["role"], row["flow"], row["source"], row["target"], row["entity"])
            (mode, state, actor, rounds, openedAt, updatedAt, report) = (row["mode"], row["state"], row["actor"], row["rounds"], row["opened_at"], row["updated_at"], row["report"])
            appliedAt = row["applied_at"]
        }
    }

    /// Opens (or, for a repeated opening, moves on) `run` in `role`.
    public func open(_ run: String, role: String, flow: String, source: String, target: String, entity: String, oneWay: Bool,
                     state: String, actor: String) throws {
        try db.execute(sql: """
            INSERT INTO reconcile_runs(run, role, flow, source, target, entity, mode, state, actor, opened_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(run, role) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, rounds = reconcile_runs.rounds + 1
            """, arguments: [run, role, flow, source, target, entity, oneWay ? "one-way" : "two-way", state, actor, Clock.now, Clock.now])
    }

    public func run(_ run: String, role: String) throws -> Run? {
        try db.row(sql: "SELECT * FROM reconcile_runs WHERE run = ? AND role = ?", arguments: [run, role]).map(Run.init)
    }

    public func update(_ run: String, role: String, state: String, report: String? = nil, nextRound: Bool = false) throws {
        try db.execute(sql: """
            UPDATE reconcile_runs SET state = ?, report = COALESCE(?, report), updated_at = ?, rounds = rounds + ? WHERE run = ? AND role = ?
            """, arguments: [state, report, Clock.now, nextRound ? 1 : 0, run, role])
    }

    /// The newest runs of a flow (or of every flow), the last opened first: times have
    /// whole seconds, the row order does not tie.
    public func latest(flow: String?, limit: Int = 20) throws -> [Run] {
        try db.rows(sql: """
            SELECT * FROM reconcile_runs\(flow == nil ? "" : " WHERE flow = ?") ORDER BY rowid DESC LIMIT ?
            """, arguments: flow.map { [$0, limit] } ?? [limit]).map(Run.init)
    }

    public func stage(bundle: String, lane: String, line: [UInt8]) throws {
        try db.execute(sql: "INSERT INTO reconcile_inbox(bundle, lane, line, received_at) VALUES (?, ?, ?, ?)",
            arguments: [bundle, lane, line, Clock.now])
    }

    /// Takes the oldest unprocessed line and marks it taken in the same transaction: a line
    /// is acted on once, and one that crashes the process is not taken up again forever.
    /// Its bytes are dropped (a sketch can be megabytes); the bundle stays archived.
    public func claim() throws -> (id: Int64, bundle: String, lane: String, line: [UInt8])? {
        guard let row = try db.row(sql: "SELECT id, bundle, lane, line FROM reconcile_inbox WHERE done_at IS NULL ORDER BY id LIMIT 1") else {
            return nil
        }
        let id: Int64 = row["id"]
        try db.execute(sql: "UPDATE reconcile_inbox SET done_at = ?, line = ? WHERE id = ?", arguments: [Clock.now, [UInt8](), id])
        return (id, row["bundle"], row["lane"], Array(row["line"] as [UInt8]))
    }

    /// Records that a run's plan was sent; false when it already was.
    public func markApplied(run: String) throws -> Bool {
        let changed = try db.execute(sql: "UPDATE reconcile_runs SET applied_at = ? WHERE run = ? AND role = 'opener' AND applied_at IS NULL",
            arguments: [Clock.now, run])
        return changed == 1
    }
}
