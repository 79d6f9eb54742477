import GRDB

/// The console's users table, in the node's store; `ferry console user …` (FerryOps)
/// reads and writes it.
enum ConsoleUserTable {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("console-v1") { db in
            try db.execute(sql: """
                CREATE TABLE console_users (
                    name TEXT PRIMARY KEY,
                    role TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    created_at TEXT NOT NULL
                ) WITHOUT ROWID
                """)
        }
    }
}
