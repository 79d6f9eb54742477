package import Foundation
import GRDB
import FerryCore

/// A system's SQLite database opened directly, for what is neither an adapter's read nor
/// its write: creating a system's tables from its schema file (`ferry init`, the demo, the
/// benchmarks) and the demo's own business steps (officers approving, passports issued).
/// Every call is one transaction.
package struct SQLiteSystemFile {
    private let database: DatabaseQueue
    /// The file's name, for errors.
    private let name: String

    /// Opens (creating it and its directory if needed) the database at `path`.
    package init(path: URL) throws {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        // The system may be written by a node at the same time (the benchmarks poll it).
        configuration.busyMode = .timeout(30)
        database = try DatabaseQueue(path: path.path, configuration: configuration)
        name = path.lastPathComponent
    }

    /// Runs one or more statements; `arguments` bind the `?` of a single statement.
    /// - Throws: `FerryError(.config)` with SQLite's own message (not the whole script).
    package func execute(_ sql: String, arguments: [String] = []) throws {
        do {
            try database.write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
        } catch let error as DatabaseError {
            throw refusal(error)
        }
    }

    /// SQLite's own words, with the file they are about (never the statement: a script may be long).
    private func refusal(_ error: DatabaseError) -> FerryError {
        FerryError(.config, "SQLite refused it in \(name): \(error.message ?? "\(error.resultCode)")")
    }

    /// The one whole number `sql` returns (one row of one integer column), nil for anything
    /// else: several rows, several columns, text or NULL.
    /// - Throws: `FerryError(.config)` with SQLite's own message when the query fails.
    package func count(_ sql: String) throws -> Int? {
        do {
            let rows = try database.read { db in try Row.fetchAll(db, sql: sql) }
            guard rows.count == 1, rows[0].count == 1 else { return nil }
            let value: DatabaseValue = rows[0][0]
            guard case .int64(let number) = value.storage else { return nil }
            return Int(number)
        } catch let error as DatabaseError {
            throw refusal(error)
        }
    }

    /// Inserts `rows` (one text or NULL per column, in order) with one prepared statement.
    package func insert(into table: String, columns: [String], rows: some Sequence<[String?]>) throws {
        try database.write { db in
            let statement = try db.makeStatement(sql: """
                INSERT INTO \(SQLQuote.identifier(table))(\(columns.map(SQLQuote.identifier).joined(separator: ", ")))
                VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
                """)
            for row in rows { try statement.execute(arguments: StatementArguments(row)) }
        }
    }

    /// The first column of the first row of `sql`, as text.
    package func text(_ sql: String) throws -> String? {
        try database.read { db in try String.fetchOne(db, sql: sql) }
    }

    /// How many rows `table` holds.
    package func rowCount(_ table: String) throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(SQLQuote.identifier(table))") ?? 0 }
    }
}
