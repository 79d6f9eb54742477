import Foundation
import FerryCore

/// Claims on a node's jobs, so that several worker processes of one node (`ferry run`,
/// several times, on one PostgreSQL store) never run the same job at once: a flow's sync
/// (`flow:NAME`), a lane's intake (`accept:LANE`), applying (`apply`) and packing (`pack`).
///
/// A claim lasts until `expires_at` unless its worker renews it; a killed worker's claims
/// simply run out and the next worker that asks takes them. Claims are taken with
/// `SELECT … FOR UPDATE SKIP LOCKED` in a transaction of their own that does not wait for
/// the node's write lock (`NodeStore.claim`): a worker asking for a job another worker is
/// claiming at that instant is told it is taken, never made to wait.
public struct WorkLeases: StoreSchema {
    let db: any StoreConnection

    package static var migrations: [StoreMigration] {
        [
            StoreMigration("leases-v1", script: """
                CREATE TABLE work_leases (
                    name TEXT PRIMARY KEY,
                    holder TEXT,
                    expires_at TEXT NOT NULL DEFAULT ''
                ) WITHOUT ROWID;
                """),
        ]
    }

    /// One claim as `ferry queue status` shows it.
    public struct Lease: Sendable, Equatable {
        public var name: String
        public var holder: String
        public var expiresAt: String
    }

    /// What asking for a job got: it, or who has it and until when.
    public enum Claim: Sendable, Equatable {
        case taken
        case held(by: String, until: String)
    }

    /// Takes job `name` for `holder` until `until`, if no one holds it, its claim has run
    /// out by `now`, `holder` holds it already (which renews it), or `gone` says the
    /// current holder is a process known to have ended.
    public func take(_ name: String, holder: String, now: String, until: String, gone: (String) -> Bool = { _ in false }) throws -> Claim {
        try db.execute(sql: "INSERT INTO work_leases(name, holder, expires_at) VALUES (?, NULL, '') ON CONFLICT(name) DO NOTHING",
            arguments: [name])
        guard let row = try db.row(sql: "SELECT holder, expires_at FROM work_leases WHERE name = ?" + db.dialect.skipLocked, arguments: [name])
        else {
            return .held(by: "another worker, claiming it this moment", until: now)
        }
        let (current, expires): (String?, String) = (row[0], row[1])
        if let current, current != holder, expires > now, !gone(current) { return .held(by: current, until: expires) }
        try db.execute(sql: "UPDATE work_leases SET holder = ?, expires_at = ? WHERE name = ?", arguments: [holder, until, name])
        return .taken
    }

    /// Moves every claim of `holder` on to `until`.
    public func renew(holder: String, until: String) throws {
        try db.execute(sql: "UPDATE work_leases SET expires_at = ? WHERE holder = ?", arguments: [until, holder])
    }

    /// Gives job `name` back, if `holder` still holds it.
    public func release(_ name: String, holder: String) throws {
        try db.execute(sql: "UPDATE work_leases SET holder = NULL, expires_at = '' WHERE name = ? AND holder = ?", arguments: [name, holder])
    }

    /// Claims held now, by job.
    public func held(now: String) throws -> [Lease] {
        try db.rows(sql: "SELECT name, holder, expires_at FROM work_leases WHERE holder IS NOT NULL AND expires_at > ? ORDER BY name",
            arguments: [now]
        ).map { Lease(name: $0[0], holder: $0[1], expiresAt: $0[2]) }
    }
}
