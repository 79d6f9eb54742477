import Foundation
import FerryCore

/// The console's users table, in the node's store: the only code that spells its SQL.
/// `ferry console user …` and the console backend (FerryOps) reach it as
/// `StoreTransaction.consoleUsers`.
public struct ConsoleUserTable: StoreSchema {
    let db: any StoreConnection

    package static var migrations: [StoreMigration] {
        [
        StoreMigration("console-v1", script: """
                CREATE TABLE console_users (
                    name TEXT PRIMARY KEY,
                    role TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    created_at TEXT NOT NULL
                ) WITHOUT ROWID
                """),
        ]
    }

    /// A user's role and password hash (PBKDF2, `PasswordHash`), nil for no such user.
    public func credentials(user: String) throws -> (role: String, passwordHash: String)? {
        try db.row(sql: "SELECT role, password_hash FROM console_users WHERE name = ?", arguments: [user]).map { ($0["role"], $0["password_hash"]) }
    }

    /// Adds or replaces a user; returns whether it existed before.
    public func save(user: String, role: String, passwordHash: String) throws -> Bool {
        let existed = try credentials(user: user) != nil
        try db.execute(sql: """
            INSERT INTO console_users(name, role, password_hash, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, created_at = excluded.created_at
            """,
            arguments: [user, role, passwordHash, Timestamp.format(Date())])
        return existed
    }

    /// Removes a user; returns whether there was one.
    public func remove(user: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM console_users WHERE name = ?", arguments: [user]) > 0
    }
}
