/// One step of a store's schema: an identifier that never changes once released, and the
/// statements that take a store there, written once for both engines (`StoreDialect.render`).
package struct StoreMigration: Sendable {
    package var identifier: String
    package var migrate: @Sendable (any StoreConnection) throws -> Void

    package init(_ identifier: String, _ migrate: @escaping @Sendable (any StoreConnection) throws -> Void) {
        self.identifier = identifier
        self.migrate = migrate
    }

    /// A migration that runs one script, rendered for the engine.
    package init(_ identifier: String, script: String) {
        self.init(identifier) { db in try db.executeScript(db.dialect.render(script)) }
    }
}

/// A module's tables in the node's store: its migrations, in the one order `NodeStore`
/// applies them (see `NodeStore.schemas`).
package protocol StoreSchema {
    static var migrations: [StoreMigration] { get }
}

/// Moves a store forward through every migration it has not applied, in one transaction.
///
/// Applied identifiers are kept in `grdb_migrations` on SQLite (the table stores made
/// before this migrator already have, in GRDB's layout) and `ferry_migrations` on
/// PostgreSQL. On PostgreSQL the caller's transaction holds the node's write lock, so
/// workers starting together migrate once.
enum StoreMigrator {
    static func migrate(_ db: any StoreConnection, _ migrations: [StoreMigration]) throws {
        let table = db.dialect == .sqlite ? "grdb_migrations" : "ferry_migrations"
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(table) (identifier TEXT NOT NULL PRIMARY KEY)")
        let applied = Set(try db.values(String.self, sql: "SELECT identifier FROM \(table)"))
        for migration in migrations where !applied.contains(migration.identifier) {
            try migration.migrate(db)
            try db.execute(sql: "INSERT INTO \(table)(identifier) VALUES (?)", arguments: [migration.identifier])
        }
    }

}
