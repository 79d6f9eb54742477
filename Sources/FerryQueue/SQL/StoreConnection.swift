/// One open transaction on a node's store, whichever engine holds it. The store's tables
/// (FerryQueue, and FerryAudit for its own) speak to it in SQL that both engines accept;
/// where they differ, `dialect` spells the difference. Placeholders are `?`.
///
/// Implementations: `SQLiteStoreConnection` (GRDB, statements prepared once per
/// connection) and `PostgresStoreConnection` (PostgresNIO, `?` rewritten to `$n`).
package protocol StoreConnection: AnyObject {
    var dialect: StoreDialect { get }

    /// Runs one statement; returns how many rows it changed.
    @discardableResult
    func execute(sql: String, arguments: StoreArguments) throws -> Int

    /// Runs one query and returns every row: for results bounded by the query itself.
    func rows(sql: String, arguments: StoreArguments) throws -> [StoreRow]

    /// Streams one query's rows to `body` without holding them all: for results that grow
    /// with the store (the audit chain, an index). `body` may run other statements.
    func forEachRow(sql: String, arguments: StoreArguments, _ body: (StoreRow) throws -> Void) throws

    /// Runs statements separated by `;` that take no arguments: migrations.
    func executeScript(_ sql: String) throws

    /// Runs one write whose result no one reads, possibly later: on PostgreSQL it is queued
    /// on the connection and its answer awaited only before the next read, counted write or
    /// commit. PostgresNIO still runs queued statements one after another (a round trip
    /// each), but the caller's thread no longer sleeps and wakes for every one. A failure
    /// surfaces at the next wait and rolls the transaction back whole.
    func send(sql: String, arguments: StoreArguments) throws

    /// Runs one query per argument list and returns each one's rows, in order: on
    /// PostgreSQL all are queued before the first answer is awaited.
    func rows(sql: String, each: [StoreArguments]) throws -> [[StoreRow]]
}

extension StoreConnection {
    @discardableResult
    package func execute(sql: String) throws -> Int { try execute(sql: sql, arguments: []) }

    package func rows(sql: String) throws -> [StoreRow] { try rows(sql: sql, arguments: []) }

    package func row(sql: String, arguments: StoreArguments = []) throws -> StoreRow? {
        try rows(sql: sql, arguments: arguments).first
    }

    /// The first column of the first row, or nil when there is no row or it is NULL.
    package func value<T: StoreBindable>(_ type: T.Type, sql: String, arguments: StoreArguments = []) throws -> T? {
        guard let row = try row(sql: sql, arguments: arguments), let value = row.values.first else { return nil }
        return T.decode(value)
    }

    /// The first column of every row, NULLs left out.
    package func values<T: StoreBindable>(_ type: T.Type, sql: String, arguments: StoreArguments = []) throws -> [T] {
        try rows(sql: sql, arguments: arguments).compactMap { $0.values.first.flatMap(T.decode) }
    }
}
